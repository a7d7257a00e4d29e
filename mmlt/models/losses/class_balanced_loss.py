"""Class-balanced loss by the effective number of samples (Cui et al.)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import sigmoid_focal_one_hot
from .softmax_focal_loss import softmax_focal_loss
from .utils import (BaseLTLoss, cross_entropy_per_sample,
                    effective_number_weights, reduce_loss_with_weight,
                    split_label, upcast)

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
      cross-entropy times ``(1 - p_t)^gamma`` per class, summed over
      classes.

    For the sigmoid types the sample's weight is ``sum_c y_c w_c`` (the
    paper's code), which with soft labels (Mixup/CutMix) mixes the weights
    of the mixed classes, and the focal modulator of soft labels is
    MMPretrain's ``((1 - p) y + p (1 - y))^gamma``; the softmax types weight
    each class term.

    Returns:
        Tensor: ``(N,)`` losses.
    """
    logits = upcast(cls_score)
    class_weight = class_weight.to(logits.dtype)
    if loss_type == 'softmax':
        return cross_entropy_per_sample(logits, label, class_weight)
    if loss_type == 'focal':
        return softmax_focal_loss(logits, label, gamma, class_weight)
    if loss_type not in LOSS_TYPES:
        raise ValueError(f'loss_type={loss_type!r} must be one of '
                         f'{LOSS_TYPES}')
    gamma = gamma if loss_type == 'sigmoid_focal' else 0.0
    label, soft = split_label(label, logits)
    if not soft:
        return sigmoid_focal_one_hot(logits, label, gamma) * \
            class_weight[label]
    target = label.to(logits.dtype)
    loss = F.binary_cross_entropy_with_logits(
        logits, target, reduction='none')
    if gamma != 0:
        # MMPretrain's sigmoid focal modulator, (1 - p_t)^gamma for 0/1 y
        p = torch.sigmoid(logits)
        loss = loss * ((1 - p) * target + p * (1 - target)).pow(gamma)
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
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (which passes them).
    """

    def __init__(self,
                 beta: float = 0.9999,
                 loss_type: str = 'softmax',
                 gamma: float = 2.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(reduction, loss_weight, class_counts)
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

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                class_counts: Optional[Tensor] = None) -> Tensor:
        class_weight = self._per_class(
            f'weights{self.beta}', class_counts, cls_score,
            lambda counts: effective_number_weights(counts, self.beta))
        loss = class_balanced_loss(cls_score, label, class_weight,
                                   self.loss_type, self.gamma)
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
