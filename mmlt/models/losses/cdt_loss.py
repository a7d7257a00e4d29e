"""Class-dependent temperatures (Ye et al., 2020)."""
from typing import Optional, Sequence

from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import adjusted_cross_entropy
from .utils import (BaseLTLoss, ClassWeightMixin, reduce_loss_with_weight,
                    split_label, upcast)

__all__ = ['CDTLoss', 'cdt_loss', 'cdt_temperatures']


def cdt_temperatures(counts: Tensor, gamma: float) -> Tensor:
    """``a_c = (n_max / n_c)^gamma``."""
    counts = counts.to(float)
    return (counts.max() / counts).pow(gamma)


def cdt_loss(cls_score: Tensor,
             label: Tensor,
             temperatures: Tensor,
             class_weight: Optional[Tensor] = None) -> Tensor:
    r"""Per-sample cross-entropy of ``z_c / a_c``.

    .. math::
        L = -\log \frac{e^{z_y / a_y}}{\sum_j e^{z_j / a_j}}

    Soft labels use :math:`-\sum_c y_c \log \mathrm{softmax}(z / a)_c`.
    """
    logits = upcast(cls_score)
    label, _ = split_label(label, logits)
    return adjusted_cross_entropy(
        logits,
        label,
        scale=1.0 / temperatures.to(logits.dtype),
        class_weight=class_weight)


@MODELS.register_module()
class CDTLoss(ClassWeightMixin, BaseLTLoss):
    r"""Class-dependent temperatures loss (Ye et al., "Identifying and
    Compensating for Feature Deviation in Imbalanced Deep Learning",
    arXiv:2001.01385, 2020).

    Training divides the logit of class ``c`` by
    :math:`a_c = (n_{max} / n_c)^\gamma` (rarer classes get a higher
    temperature, see :func:`cdt_loss`); prediction uses the raw logits.
    ``gamma=0`` is cross-entropy. Soft labels (Mixup/CutMix) are supported.

    Args:
        gamma: Exponent of the temperatures. The paper tunes it per data
            set; 0.2 is the default of the Bag-of-Tricks-LT reference
            implementation (Zhang et al., AAAI 2021).
        class_weight: Per-class weights, or None.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (which passes them).
    """

    def __init__(self,
                 gamma: float = 0.2,
                 class_weight: Optional[Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(reduction, loss_weight, class_counts)
        if gamma < 0:
            raise ValueError(f'gamma={gamma} must be >= 0')
        self.gamma = float(gamma)
        self._init_class_weight(class_weight)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                class_counts: Optional[Tensor] = None) -> Tensor:
        temperatures = self._per_class(
            f'temperatures{self.gamma}', class_counts, cls_score,
            lambda counts: cdt_temperatures(counts, self.gamma))
        loss = cdt_loss(cls_score, label, temperatures,
                        self._class_weight_for(cls_score))
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
