"""Softmax (multi-class) focal loss of Lin et al., ICCV 2017."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import _power, adjusted_cross_entropy
from .utils import (BaseLTLoss, ClassWeightMixin, inverse_power_weights,
                    reduce_loss_with_weight, split_label, upcast)

__all__ = ['SoftmaxFocalLoss', 'focal_modulator', 'softmax_focal_loss']


def focal_modulator(log_p: Tensor, gamma: float) -> Tensor:
    """``(1 - p)^gamma`` from ``log p``, finite (and with finite gradients)
    also where ``p`` rounds to exactly 1 and for ``gamma < 1``."""
    if gamma == 0:
        return torch.ones_like(log_p)
    one_minus_p = (-torch.expm1(log_p)).clamp_min(
        torch.finfo(log_p.dtype).tiny)
    return _power(one_minus_p, gamma)


def softmax_focal_loss(cls_score: Tensor,
                       label: Tensor,
                       gamma: float = 2.0,
                       class_weight: Optional[Tensor] = None) -> Tensor:
    r"""Per-sample softmax focal loss (Lin et al. 2017, Eq. 5).

    .. math::
        FL(p_t) = -\alpha_t (1 - p_t)^\gamma \log p_t,
        \qquad p = \mathrm{softmax}(z)

    with :math:`\alpha_t` the weight of the sample's class
    (``class_weight``; 1 when None). Soft labels ``y`` (N x C, Mixup/CutMix)
    use :math:`-\sum_c \alpha_c y_c (1 - p_c)^\gamma \log p_c`, which is
    the same for a one-hot ``y``.

    Args:
        cls_score: Logits ``(N, C)``.
        label: Class indices ``(N,)`` or scores ``(N, C)``.
        gamma: Focusing parameter; 0 gives cross-entropy.
        class_weight: ``(C,)`` per-class weights.

    Returns:
        Tensor: ``(N,)`` losses.
    """
    logits = upcast(cls_score)
    label, soft = split_label(label, logits)
    if soft:
        log_p = F.log_softmax(logits, dim=1)
        loss = -label.to(log_p.dtype) * focal_modulator(log_p, gamma) * log_p
        if class_weight is not None:
            loss = loss * class_weight
        return loss.sum(dim=1)
    # log p_t as minus the cross-entropy (one N x C tensor less in the
    # backward than log_softmax + gather)
    log_pt = -adjusted_cross_entropy(logits, label)
    loss = -focal_modulator(log_pt, gamma) * log_pt
    if class_weight is not None:
        loss = loss * class_weight[label]
    return loss


@MODELS.register_module()
class SoftmaxFocalLoss(ClassWeightMixin, BaseLTLoss):
    """Softmax focal loss (Lin et al., "Focal Loss for Dense Object
    Detection", ICCV 2017), with a per-class alpha.

    MMPretrain's ``FocalLoss`` is the sigmoid (one-vs-all) form; this is the
    softmax form, ``-alpha_t (1 - p_t)^gamma log p_t`` (see
    :func:`softmax_focal_loss`). Soft labels (Mixup/CutMix) are supported.

    Args:
        gamma: Focusing parameter (the paper's default 2).
        alpha: Per-class weights: None (all 1), a list of ``C`` floats, or
            ``'inverse_frequency'`` (``alpha_c ∝ 1/n_c`` from the training
            counts, normalised to sum to ``C``). The paper's scalar
            ``alpha=0.25`` belongs to its binary (sigmoid) form and has no
            softmax counterpart, hence no alpha by default.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (only for ``alpha='inverse_frequency'``).

    A deferred re-weighting hook replaces alpha through
    :meth:`set_class_weight`.
    """

    def __init__(self,
                 gamma: float = 2.0,
                 alpha: Union[None, str, Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(reduction, loss_weight, class_counts)
        if gamma < 0:
            raise ValueError(f'gamma={gamma} must be >= 0')
        if isinstance(alpha, str) and alpha != 'inverse_frequency':
            raise ValueError(f"alpha={alpha!r} must be None, a list of "
                             "per-class weights or 'inverse_frequency'")
        self.gamma = float(gamma)
        self.alpha = alpha
        self._init_class_weight(None if isinstance(alpha, str) else alpha)

    @property
    def requires_class_counts(self) -> bool:
        return self.alpha == 'inverse_frequency'

    def _alpha(self, cls_score: Tensor,
               class_counts: Optional[Tensor]) -> Optional[Tensor]:
        weight = self._class_weight_for(cls_score)
        if weight is None and self.alpha == 'inverse_frequency':
            weight = self._per_class(
                'inverse_frequency', class_counts, cls_score,
                lambda counts: inverse_power_weights(counts, 1.0))
        return weight if weight is None else weight.to(
            upcast(cls_score).dtype)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                class_counts: Optional[Tensor] = None) -> Tensor:
        loss = softmax_focal_loss(cls_score, label, self.gamma,
                                  self._alpha(cls_score, class_counts))
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
