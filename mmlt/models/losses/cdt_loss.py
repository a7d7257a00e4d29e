"""Class-dependent temperatures (Ye et al., 2020)."""
from typing import Dict, Optional, Sequence

from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss, ClassWeightMixin
from .utils import cross_entropy_per_sample, upcast

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
    return cross_entropy_per_sample(logits / temperatures.to(logits), label,
                                    class_weight)


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
        class_counts: Training images per class, for use without mmlt's
            head (which hands them over).
        **kwargs: ``class_weight`` (deferred re-weighting sets it),
            ``class_weight_norm``, ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.ClassWeightMixin`).
    """

    logit_kind = 'favours_rare'
    logit_kind_how = ('divides each logit by a class-dependent temperature '
                      'while training')

    needs_class_counts = True

    def __init__(self,
                 gamma: float = 0.2,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if gamma < 0:
            raise ValueError(f'gamma={gamma} must be >= 0')
        self.gamma = float(gamma)
        self._receive_counts(class_counts)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(temperatures=cdt_temperatures(counts, self.gamma))

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        return cdt_loss(logits, label, self.temperatures,
                        self.class_weight_for(logits))
