"""Cross-entropy with class weights ∝ n_c^(-p) (cost-sensitive CE)."""
from typing import Optional, Sequence

from torch import Tensor

from mmlt.registry import MODELS
from .utils import (BaseLTLoss, cross_entropy_per_sample,
                    inverse_power_weights, reduce_loss_with_weight, upcast)

__all__ = ['CostSensitiveCELoss']


@MODELS.register_module()
class CostSensitiveCELoss(BaseLTLoss):
    r"""Cost-sensitive cross-entropy: class weights from the class counts.

    .. math::
        L = -w_y \log p_y, \qquad w_c = C \frac{n_c^{-p}}
        {\sum_k n_k^{-p}}

    ``power=1`` is inverse-frequency weighting, ``power=0`` plain
    cross-entropy; the weights sum to ``C`` (as Cui et al. normalise
    theirs). The Bag-of-Tricks-LT code (Zhang et al., AAAI 2021) has it as
    ``CostSensitiveCE`` with weights ``(n_min / n_c)^p``, the same up to
    scale. Soft labels (Mixup/CutMix) are supported.

    Args:
        power: The exponent ``p``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (which passes them).
    """

    def __init__(self,
                 power: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(reduction, loss_weight, class_counts)
        if power < 0:
            raise ValueError(f'power={power} must be >= 0')
        self.power = float(power)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                class_counts: Optional[Tensor] = None) -> Tensor:
        logits = upcast(cls_score)
        class_weight = self._per_class(
            f'weights{self.power}', class_counts, logits,
            lambda counts: inverse_power_weights(counts, self.power))
        loss = cross_entropy_per_sample(logits, label, class_weight)
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
