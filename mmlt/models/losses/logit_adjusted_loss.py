"""Logit-adjusted softmax cross-entropy (Menon et al., ICLR 2021)."""
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss, ClassWeightMixin
from .utils import class_prior, cross_entropy_per_sample, upcast

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
    return cross_entropy_per_sample(logits + offset.to(logits), label,
                                    class_weight)


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
        class_counts: Training images per class, for use without mmlt's
            head (which hands them over).
        **kwargs: ``class_weight`` (deferred re-weighting sets it),
            ``class_weight_norm``, ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.ClassWeightMixin`).
    """

    logit_kind = 'uses_prior'
    logit_kind_how = ('trains on z + τ·log π (the loss form of the same '
                      'adjustment)')

    needs_class_counts = True

    def __init__(self,
                 tau: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if tau < 0:
            raise ValueError(f'tau={tau} must be >= 0')
        self.tau = float(tau)
        self._receive_counts(class_counts)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(offset=self.tau * torch.log(class_prior(counts)))

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        return logit_adjusted_loss(logits, label, self.offset,
                                   self.class_weight_for(logits))
