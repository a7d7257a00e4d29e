"""Balanced softmax cross-entropy (Ren et al., NeurIPS 2020)."""
from typing import Optional, Sequence

import torch
from torch import Tensor

from mmlt.registry import MODELS
from .logit_adjusted_loss import LogitAdjustedLoss

__all__ = ['BalancedSoftmaxLoss']


@MODELS.register_module()
class BalancedSoftmaxLoss(LogitAdjustedLoss):
    r"""Balanced softmax (Ren et al., "Balanced Meta-Softmax for Long-Tailed
    Visual Recognition", NeurIPS 2020).

    .. math::
        L = -\log \frac{n_y e^{z_y}}{\sum_j n_j e^{z_j}}

    i.e. cross-entropy of ``z + log n`` (see
    :func:`~mmlt.models.losses.logit_adjusted_loss.logit_adjusted_loss`);
    prediction uses the raw logits. It has no hyper-parameter and equals
    :class:`LogitAdjustedLoss` with ``tau=1``. Equal class counts give
    cross-entropy. Soft labels (Mixup/CutMix) are supported.

    Args:
        class_weight: Per-class weights, or None.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (which passes them).
    """

    def __init__(self,
                 class_weight: Optional[Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(
            tau=1.0,
            class_weight=class_weight,
            reduction=reduction,
            loss_weight=loss_weight,
            class_counts=class_counts)

    def _offset(self, counts: Tensor) -> Tensor:
        return torch.log(counts)
