"""Helpers shared by mmlt's losses: counts, labels, weights and reduction.

Every loss in this package is a pure function on tensors plus a thin
registered module (:class:`~mmlt.models.losses.base_loss.BaseLTLoss`) with
MMPretrain's signature
``(cls_score, label, weight=None, avg_factor=None, reduction_override=None)``.
This module holds the functions they share:

* class-count validation (a class with zero training images is refused,
  naming it) and count-derived class weights;
* hard/soft label handling (MMPretrain's Mixup/CutMix hand losses an
  ``N x C`` score instead of ``N`` indices);
* per-sample weights (group weights from the head) and reduction through
  MMPretrain's ``weight_reduce_loss``.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.models.losses.utils import weight_reduce_loss
from torch import Tensor

__all__ = [
    'check_class_counts', 'class_prior', 'cross_entropy_per_sample',
    'effective_number_weights', 'hard_label', 'inverse_power_weights',
    'one_hot_target', 'reduce_loss_with_weight', 'split_label', 'upcast'
]

CountsLike = Union[Tensor, Sequence[int], np.ndarray]


def upcast(x: Tensor) -> Tensor:
    """``x`` in float32 if it is a half type (bf16/fp16), else unchanged.

    Losses compute in at least float32 so that logits of +-1e4 under bf16
    autocast stay finite; float64 inputs stay float64 (gradcheck).
    """
    if x.dtype in (torch.float16, torch.bfloat16):
        return x.float()
    return x


def check_class_counts(counts: CountsLike,
                       num_classes: Optional[int] = None,
                       what: str = 'loss') -> Tensor:
    """Validated class counts as a float64 tensor (on the counts' device).

    Raises:
        ValueError: counts that are not 1-D, have a length other than
            ``num_classes``, are negative, or have a class with zero images
            (every such class is named).
    """
    counts = torch.as_tensor(counts)
    if counts.ndim != 1:
        raise ValueError(f'{what}: class counts must be 1-D, got shape '
                         f'{tuple(counts.shape)}')
    if num_classes is not None and counts.numel() != num_classes:
        raise ValueError(f'{what}: got class counts for {counts.numel()} '
                         f'classes but the scores have {num_classes} classes')
    counts = counts.to(torch.float64)
    if (counts < 0).any():
        raise ValueError(f'{what}: class counts must be non-negative, got '
                         f'{counts.tolist()}')
    empty = torch.nonzero(counts == 0).flatten().tolist()
    if empty:
        raise ValueError(
            f'{what} needs at least one training image per class; class(es) '
            f'{empty} have none. Remove them from the classes or use a loss '
            'that does not depend on class counts.')
    return counts


def class_prior(counts: Tensor) -> Tensor:
    """Training label distribution ``pi_c = n_c / sum(n)``."""
    return counts / counts.sum()


def effective_number_weights(counts: Tensor, beta: float) -> Tensor:
    """Class-balanced weights of Cui et al., CVPR 2019.

    ``w_c = (1 - beta) / (1 - beta^{n_c})``, the inverse of the effective
    number of samples ``E_n = (1 - beta^n) / (1 - beta)``, normalised so
    that ``sum_c w_c = C`` as in the paper's reference code. ``beta=0``
    gives equal weights.
    """
    if not 0 <= beta < 1:
        raise ValueError(f'beta={beta} must be in [0, 1)')
    counts = counts.to(torch.float64)
    weights = (1.0 - beta) / (1.0 - torch.pow(beta, counts))
    return weights / weights.sum() * counts.numel()


def inverse_power_weights(counts: Tensor, power: float) -> Tensor:
    """Weights ``w_c ∝ n_c^{-power}``, normalised so that ``sum_c w_c = C``."""
    counts = counts.to(torch.float64)
    weights = counts.pow(-float(power))
    return weights / weights.sum() * counts.numel()


def split_label(label: Tensor, cls_score: Tensor) -> Tuple[Tensor, bool]:
    """``(label, is_soft)``: class indices ``(N,)`` or scores ``(N, C)``.

    MMPretrain passes indices, or an ``N x C`` score (``gt_score``) when a
    batch augment (Mixup/CutMix) or ``to_onehot`` is on.
    """
    if label.dim() == 2 and label.shape == cls_score.shape and \
            label.is_floating_point():
        return label, True
    if label.dim() == 2 and label.shape[1] == 1:
        label = label.view(-1)
    if label.dim() != 1 or label.shape[0] != cls_score.shape[0]:
        raise ValueError(
            f'label of shape {tuple(label.shape)} does not fit scores of '
            f'shape {tuple(cls_score.shape)}: expected ({cls_score.shape[0]},)'
            f' class indices or a ({cls_score.shape[0]}, {cls_score.shape[1]})'
            ' float score')
    return label.long(), False


def hard_label(label: Tensor, cls_score: Tensor, what: str) -> Tensor:
    """Class indices; a one-hot ``N x C`` score is converted, a mixed one
    (Mixup/CutMix) is refused with a ValueError naming the loss."""
    label, soft = split_label(label, cls_score)
    if not soft:
        return label
    one_hot = ((label == 0) | (label == 1)).all() and \
        bool((label.sum(dim=1) == 1).all())
    if not one_hot:
        raise ValueError(
            f'{what} needs hard labels (one class per sample), but got mixed '
            'soft labels (MMPretrain Mixup/CutMix batch augments); remove '
            'the batch augments or use a loss that supports soft labels')
    return label.argmax(dim=1)


def one_hot_target(label: Tensor, cls_score: Tensor) -> Tensor:
    """The target as an ``(N, C)`` tensor in the scores' dtype: one-hot rows
    for class indices, MMPretrain's soft labels (Mixup/CutMix) as given."""
    label, soft = split_label(label, cls_score)
    if soft:
        return label.to(cls_score.dtype)
    return F.one_hot(label, cls_score.shape[-1]).to(cls_score.dtype)


def cross_entropy_per_sample(logits: Tensor,
                             label: Tensor,
                             class_weight: Optional[Tensor] = None
                             ) -> Tensor:
    """Per-sample cross-entropy ``(N,)`` with optional class weights.

    Hard labels: ``w_y * CE`` (torch's ``cross_entropy``); soft labels
    ``(N, C)``: ``-sum_c w_c y_c log softmax(z)_c`` (MMPretrain's soft CE).
    """
    label, soft = split_label(label, logits)
    if not soft:
        return F.cross_entropy(
            logits, label, weight=class_weight, reduction='none')
    loss = -label.to(logits.dtype) * F.log_softmax(logits, dim=1)
    if class_weight is not None:
        loss = loss * class_weight
    return loss.sum(dim=1)


def reduce_loss_with_weight(loss: Tensor,
                            weight: Optional[Tensor] = None,
                            reduction: str = 'mean',
                            avg_factor: Optional[float] = None) -> Tensor:
    """Per-sample loss ``(N,)`` times per-sample weights, then reduced.

    ``weight`` is the head's per-sample (group) weight, shape ``(N,)``. The
    reduction is MMPretrain's: ``mean`` divides by ``avg_factor`` when
    given (the head passes the batch size), else by ``N``.
    """
    if weight is not None:
        weight = weight.to(loss.dtype)
        if weight.shape != loss.shape:
            raise ValueError(
                f'weight of shape {tuple(weight.shape)} must hold one value '
                f'per sample, shape {tuple(loss.shape)}')
    return weight_reduce_loss(loss, weight, reduction, avg_factor)
