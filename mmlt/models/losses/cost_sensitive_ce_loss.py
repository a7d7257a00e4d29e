"""Cross-entropy with class weights ∝ n_c^(-p) (cost-sensitive CE)."""
from typing import Dict, Optional, Sequence

from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss
from .utils import cross_entropy_per_sample, inverse_power_weights

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
    scale once the loss is divided by the weights' sum. Soft labels
    (Mixup/CutMix) are supported.

    Reduction: ``class_weight_norm='num_samples'`` (default, MMPretrain's
    convention) gives ``sum_i w_{y_i} L_i / N``; Bag-of-Tricks-LT computes
    ``F.cross_entropy(x, y, weight=w)``, i.e. ``sum_i w_{y_i} L_i / sum_i
    w_{y_i}``: ``'weight_sum'``, which its configs use.

    Args:
        power: The exponent ``p``.
        class_weight_norm: ``'num_samples'`` or ``'weight_sum'`` (above).
        class_counts: Training images per class, for use without mmlt's
            head (which hands them over).
        **kwargs: ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.BaseLTLoss`).
    """

    logit_kind = 'reweighted'
    logit_kind_how = 'weights each class by a power of its count'

    needs_class_counts = True

    def __init__(self,
                 power: float = 1.0,
                 class_weight_norm: str = 'num_samples',
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if power < 0:
            raise ValueError(f'power={power} must be >= 0')
        self.power = float(power)
        self._set_class_weight_norm(class_weight_norm)
        self._receive_counts(class_counts)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(cost_weight=inverse_power_weights(counts, self.power))

    def class_weight_in_effect(self) -> Tensor:
        return self.cost_weight

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        return cross_entropy_per_sample(logits, label,
                                        self.class_weight_for(logits))
