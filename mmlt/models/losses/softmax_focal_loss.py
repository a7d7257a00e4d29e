"""Softmax (multi-class) focal loss of Lin et al., ICCV 2017."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss, ClassWeightMixin
from .utils import inverse_power_weights, one_hot_target, upcast

__all__ = ['SoftmaxFocalLoss', 'focal_modulator', 'softmax_focal_loss']


def focal_modulator(log_p: Tensor, gamma: float) -> Tensor:
    """``(1 - p)^gamma`` from ``log p``: ``1 - p = -expm1(log p)`` stays
    exact where ``p`` is close to 1, and is kept above 0 so that ``gamma < 1``
    has a finite gradient where ``p`` rounds to 1."""
    one_minus_p = -torch.expm1(log_p)
    return one_minus_p.clamp_min(torch.finfo(log_p.dtype).tiny).pow(gamma)


def softmax_focal_loss(cls_score: Tensor,
                       label: Tensor,
                       gamma: float = 2.0,
                       class_weight: Optional[Tensor] = None) -> Tensor:
    r"""Per-sample softmax focal loss (Lin et al. 2017, Eq. 5).

    .. math::
        FL = -\sum_c \alpha_c y_c (1 - p_c)^\gamma \log p_c,
        \qquad p = \mathrm{softmax}(z)

    i.e. :math:`-\alpha_t (1 - p_t)^\gamma \log p_t` for a one-hot ``y``
    (class indices), and term by term for MMPretrain's soft labels
    (Mixup/CutMix). :math:`\alpha` is ``class_weight`` (1 when None).

    Args:
        cls_score: Logits ``(N, C)``.
        label: Class indices ``(N,)`` or scores ``(N, C)``.
        gamma: Focusing parameter; 0 gives cross-entropy.
        class_weight: ``(C,)`` per-class weights.

    Returns:
        Tensor: ``(N,)`` losses.
    """
    logits = upcast(cls_score)
    target = one_hot_target(label, logits)
    log_p = F.log_softmax(logits, dim=1)
    terms = -target * focal_modulator(log_p, gamma) * log_p
    if class_weight is not None:
        terms = terms * class_weight
    return terms.sum(dim=1)


@MODELS.register_module()
class SoftmaxFocalLoss(ClassWeightMixin, BaseLTLoss):
    """Softmax focal loss (Lin et al., "Focal Loss for Dense Object
    Detection", ICCV 2017), with a per-class alpha.

    MMPretrain's ``FocalLoss`` is the sigmoid (one-vs-all) form; this is the
    softmax form, ``-alpha_t (1 - p_t)^gamma log p_t`` (see
    :func:`softmax_focal_loss`). Soft labels (Mixup/CutMix) are supported.
    A deferred re-weighting hook replaces alpha through
    :meth:`set_class_weight`.

    Args:
        gamma: Focusing parameter (the paper's default 2).
        alpha: Per-class weights: None (all 1), a list of ``C`` floats, or
            ``'inverse_frequency'`` (``alpha_c ∝ 1/n_c`` from the training
            counts, normalised to sum to ``C``). The paper's scalar
            ``alpha=0.25`` belongs to its binary (sigmoid) form and has no
            softmax counterpart, hence no alpha by default.
        class_counts: Training images per class, for use without mmlt's
            head (only for ``alpha='inverse_frequency'``).
        **kwargs: ``class_weight_norm`` (what ``'mean'`` divides the
            alpha-weighted loss by), ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.ClassWeightMixin`).
    """

    logit_kind = 'not_calibrated'
    logit_kind_how = ('down-weights well-classified samples by (1 − p)^γ '
                      '(and weights classes by alpha)')

    def __init__(self,
                 gamma: float = 2.0,
                 alpha: Union[None, str, Sequence[float]] = None,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        if isinstance(alpha, str) and alpha != 'inverse_frequency':
            raise ValueError(f"alpha={alpha!r} must be None, a list of "
                             "per-class weights or 'inverse_frequency'")
        super().__init__(
            class_weight=None if isinstance(alpha, str) else alpha, **kwargs)
        if gamma < 0:
            raise ValueError(f'gamma={gamma} must be >= 0')
        self.gamma = float(gamma)
        self.alpha = alpha
        self._receive_counts(class_counts)

    @property
    def needs_class_counts(self) -> bool:
        return self.alpha == 'inverse_frequency'

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(inverse_frequency=inverse_power_weights(counts, 1.0))

    def class_weight_in_effect(self) -> Optional[Tensor]:
        """The weights set by a hook or the config, else the inverse
        frequencies of ``alpha='inverse_frequency'``."""
        if self.class_weight is None and self.needs_class_counts:
            return self.inverse_frequency
        return self.class_weight

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        return softmax_focal_loss(logits, label, self.gamma,
                                  self.class_weight_for(logits))
