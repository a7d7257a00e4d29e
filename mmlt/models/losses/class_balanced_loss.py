"""Class-balanced loss by the effective number of samples (Cui et al.)."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss
from .softmax_focal_loss import softmax_focal_loss
from .utils import (cross_entropy_per_sample, effective_number_weights,
                    one_hot_target, upcast)

__all__ = ['ClassBalancedLoss', 'class_balanced_loss']

LOSS_TYPES = ('softmax', 'focal', 'sigmoid', 'sigmoid_focal')


def class_balanced_loss(cls_score: Tensor,
                        label: Tensor,
                        class_weight: Tensor,
                        loss_type: str = 'softmax',
                        gamma: float = 2.0) -> Tensor:
    r"""Per-sample class-balanced loss (Cui et al., CVPR 2019, Sec. 4).

    .. math::
        CB(p, y) = \frac{1 - \beta}{1 - \beta^{n_y}} \, L(p, y)

    with ``class_weight`` the normalised factors of
    :func:`~mmlt.models.losses.utils.effective_number_weights` and ``L``:

    * ``'softmax'``: softmax cross-entropy;
    * ``'focal'``: softmax focal loss ``-(1-p_t)^gamma log p_t``;
    * ``'sigmoid'``: one-vs-all binary cross-entropy summed over classes;
    * ``'sigmoid_focal'``: the paper's (sigmoid) focal loss, binary
      cross-entropy times ``(1 - p_t)^gamma`` per class,
      ``p_t = p y + (1 - p)(1 - y)``, summed over classes.

    For the sigmoid types the sample's weight is ``sum_c y_c w_c`` (the
    paper's code), which with soft labels (Mixup/CutMix) mixes the weights
    of the mixed classes, and the focal modulator of soft labels is
    MMPretrain's ``((1 - p) y + p (1 - y))^gamma``; the softmax types weight
    each class term.

    Returns:
        Tensor: ``(N,)`` losses.
    """
    if loss_type not in LOSS_TYPES:
        raise ValueError(f'loss_type={loss_type!r} must be one of '
                         f'{LOSS_TYPES}')
    logits = upcast(cls_score)
    class_weight = class_weight.to(logits)
    if loss_type == 'softmax':
        return cross_entropy_per_sample(logits, label, class_weight)
    if loss_type == 'focal':
        return softmax_focal_loss(logits, label, gamma, class_weight)
    target = one_hot_target(label, logits)
    loss = F.binary_cross_entropy_with_logits(
        logits, target, reduction='none')
    if loss_type == 'sigmoid_focal':
        p = torch.sigmoid(logits)
        one_minus_pt = (1 - p) * target + p * (1 - target)
        loss = loss * one_minus_pt.clamp_min(
            torch.finfo(logits.dtype).tiny).pow(gamma)
    return loss.sum(dim=1) * (target @ class_weight)


@MODELS.register_module()
class ClassBalancedLoss(BaseLTLoss):
    """Class-balanced loss (Cui et al., "Class-Balanced Loss Based on
    Effective Number of Samples", CVPR 2019).

    Each class is weighted by the inverse of its effective number of
    samples, ``(1 - beta) / (1 - beta^{n_c})``, normalised to sum
    to ``C``; ``beta=0`` is the unweighted loss, ``beta -> 1`` inverse
    frequency. See :func:`class_balanced_loss` for the loss types. Soft
    labels (Mixup/CutMix) are supported.

    Args:
        beta: Hyper-parameter of the effective number, in [0, 1). Cui et
            al. tune it per data set; 0.9999 is what LDAM-DRW's code (Cao
            et al. 2019) uses with these weights on CIFAR-LT.
        loss_type: ``'softmax'``, ``'focal'`` (softmax focal),
            ``'sigmoid'`` or ``'sigmoid_focal'``.
        gamma: Focusing parameter of the focal types (Lin et al.'s 2).
        class_weight_norm: What ``'mean'`` divides the weighted loss by:
            ``'num_samples'`` (``sum_i w_{y_i} L_i / N``, as the paper's
            code) or ``'weight_sum'`` (``/ sum_i w_{y_i}``, LDAM-DRW's code
            re-weighting with these weights); see
            :class:`~mmlt.models.losses.base_loss.BaseLTLoss`.
        class_counts: Training images per class, for use without mmlt's
            head (which hands them over).
        **kwargs: ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.BaseLTLoss`).
    """

    logit_kind = 'reweighted'
    logit_kind_how = 'weights each class by its effective number of samples'

    needs_class_counts = True

    def __init__(self,
                 beta: float = 0.9999,
                 loss_type: str = 'softmax',
                 gamma: float = 2.0,
                 class_weight_norm: str = 'num_samples',
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 <= beta < 1:
            raise ValueError(f'beta={beta} must be in [0, 1)')
        if loss_type not in LOSS_TYPES:
            raise ValueError(f'loss_type={loss_type!r} must be one of '
                             f'{LOSS_TYPES}')
        if gamma < 0:
            raise ValueError(f'gamma={gamma} must be >= 0')
        self.beta = float(beta)
        self.loss_type = loss_type
        self.gamma = float(gamma)
        self._set_class_weight_norm(class_weight_norm)
        self._receive_counts(class_counts)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(
            balance_weight=effective_number_weights(counts, self.beta))

    def class_weight_in_effect(self) -> Tensor:
        return self.balance_weight

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        return class_balanced_loss(logits, label,
                                   self.class_weight_for(logits),
                                   self.loss_type, self.gamma)
