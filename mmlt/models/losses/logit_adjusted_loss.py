"""Logit-adjusted softmax cross-entropy (Menon et al., ICLR 2021)."""
from typing import Optional, Sequence

import torch
from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import adjusted_cross_entropy
from .utils import (BaseLTLoss, ClassWeightMixin, class_prior,
                    reduce_loss_with_weight, split_label, upcast)

__all__ = ['LogitAdjustedLoss', 'logit_adjusted_loss']


def logit_adjusted_loss(cls_score: Tensor,
                        label: Tensor,
                        offset: Tensor,
                        class_weight: Optional[Tensor] = None) -> Tensor:
    r"""Per-sample cross-entropy of logits shifted per class.

    .. math::
        L = -\log \frac{e^{z_y + o_y}}{\sum_j e^{z_j + o_j}}

    With ``o = tau * log(pi)`` this is Menon et al.'s logit-adjusted loss;
    with ``o = log(n)`` Ren et al.'s balanced softmax (the two agree for
    ``tau=1``: the offsets differ by a constant). Soft labels use
    :math:`-\sum_c y_c \log \mathrm{softmax}(z + o)_c`.

    Args:
        cls_score: Logits ``(N, C)``.
        label: Class indices ``(N,)`` or scores ``(N, C)``.
        offset: ``(C,)`` per-class offsets ``o``.
        class_weight: ``(C,)`` class weights, or None.
    """
    logits = upcast(cls_score)
    label, _ = split_label(label, logits)
    return adjusted_cross_entropy(
        logits,
        label,
        offset=offset.to(logits.dtype),
        class_weight=class_weight)


@MODELS.register_module()
class LogitAdjustedLoss(ClassWeightMixin, BaseLTLoss):
    r"""Logit-adjusted loss (Menon et al., "Long-tail learning via logit
    adjustment", ICLR 2021).

    .. math::
        L = -\log \frac{e^{z_y + \tau \log \pi_y}}
        {\sum_j e^{z_j + \tau \log \pi_j}}

    with :math:`\pi` the training label distribution (from the class
    counts). Prediction uses the raw logits ``z``. The post-hoc variant
    (train with CE, predict with ``z - tau log pi``) is the head option
    ``logit_adjust_tau``. Equal class counts give cross-entropy. Soft labels
    (Mixup/CutMix) are supported.

    Args:
        tau: Temperature of the adjustment (1 in the paper).
        class_weight: Per-class weights, or None.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (which passes them).
    """

    def __init__(self,
                 tau: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(reduction, loss_weight, class_counts)
        if tau < 0:
            raise ValueError(f'tau={tau} must be >= 0')
        self.tau = float(tau)
        self._init_class_weight(class_weight)

    def _offset(self, counts: Tensor) -> Tensor:
        return self.tau * torch.log(class_prior(counts))

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                class_counts: Optional[Tensor] = None) -> Tensor:
        offset = self._per_class(f'offset{self.tau}', class_counts,
                                 cls_score, self._offset)
        loss = logit_adjusted_loss(cls_score, label, offset,
                                   self._class_weight_for(cls_score))
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
