"""Softmax equalization loss (Tan et al., CVPR 2020)."""
from typing import Optional, Sequence

import torch
from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import adjusted_cross_entropy
from .utils import (BaseLTLoss, class_prior, reduce_loss_with_weight,
                    split_label, upcast)

__all__ = ['SoftmaxEQLLoss', 'softmax_eql_loss']


def softmax_eql_loss(cls_score: Tensor, label: Tensor,
                     drop: Tensor) -> Tensor:
    r"""Per-sample softmax equalization loss for given Bernoulli draws.

    .. math::
        L = -\sum_j y_j \log \tilde p_j, \qquad
        \tilde p_j = \frac{e^{z_j}}{\sum_k \tilde w_k e^{z_k}}, \qquad
        \tilde w_k = 1 - \beta_k T_\lambda(f_k) (1 - y_k)

    Args:
        cls_score: Logits ``(N, C)``.
        label: Class indices ``(N,)`` or scores ``(N, C)``.
        drop: :math:`\beta_k T_\lambda(f_k)` as a 0/1 tensor of shape
            ``(N, C)``: 1 where a tail class's term may leave the
            denominator (it stays for the sample's own class, ``y_k = 1``).

    Returns:
        Tensor: ``(N,)`` losses.
    """
    logits = upcast(cls_score)
    label, soft = split_label(label, logits)
    if not soft:
        # w = 0 exactly on the dropped negatives: they leave the softmax
        mask = drop.bool().scatter(1, label[:, None], False)
        return adjusted_cross_entropy(logits, label, mask=mask)
    # soft y: log w as an offset (-inf removes a term); the numerator e^{z_j}
    # has no w, hence the correction sum_j y_j log w_j
    log_w = torch.log(1.0 - drop.to(logits.dtype) * (1.0 - label))
    target = label.to(logits.dtype)
    correction = (target * log_w.clamp_min(torch.finfo(
        logits.dtype).min)).sum(dim=1)
    return adjusted_cross_entropy(logits, target, offset=log_w) + correction


def bernoulli_tail_mask(tail: Tensor, num_samples: int,
                        gamma: float) -> Tensor:
    """``(N, C)`` bool: ``beta_k T_lambda(f_k)``, i.e. True with
    probability ``gamma`` in the tail columns, False elsewhere."""
    num_classes = tail.numel()
    if gamma == 0 or not tail.any():
        return torch.zeros(
            num_samples, num_classes, dtype=torch.bool, device=tail.device)
    if tail.all():
        return torch.rand(num_samples, num_classes, device=tail.device) < \
            gamma
    idx = torch.nonzero(tail).flatten()
    drop = torch.zeros(
        num_samples, num_classes, dtype=torch.bool, device=tail.device)
    return drop.index_copy_(
        1, idx,
        torch.rand(num_samples, idx.numel(), device=tail.device) < gamma)


@MODELS.register_module()
class SoftmaxEQLLoss(BaseLTLoss):
    r"""Softmax equalization loss (Tan et al., "Equalization Loss for
    Long-Tailed Object Recognition", CVPR 2020; the softmax form the paper
    uses for image classification).

    For a sample, the negative term of every tail class ``k`` (training
    frequency :math:`f_k = n_k / \sum n < \lambda`) is dropped from the
    softmax denominator with probability ``gamma`` (a Bernoulli ``beta``
    drawn per sample and class), so frequent classes' samples discourage
    rare classes less. See :func:`softmax_eql_loss`. The draws come from
    torch's global generator (seeded by mmengine's ``randomness``), as
    dropout's do. ``gamma=0`` or
    ``freq_threshold=0`` is cross-entropy. Soft labels (Mixup/CutMix) follow
    the same formula with soft ``y``.

    Args:
        freq_threshold: :math:`\lambda`, the frequency below which a class
            is a tail class. The paper tunes it per data set; 5e-3 is the
            default of the Bag-of-Tricks-LT reference implementation (Zhang
            et al., AAAI 2021).
        gamma: Probability that a tail class's negative term is dropped
            (``beta = 1``); ``1 - gamma`` keeps it. 0.9 is the
            Bag-of-Tricks-LT default.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (which passes them).
    """

    def __init__(self,
                 freq_threshold: float = 5e-3,
                 gamma: float = 0.9,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(reduction, loss_weight, class_counts)
        if not 0 <= freq_threshold <= 1:
            raise ValueError(
                f'freq_threshold={freq_threshold} must be in [0, 1]')
        if not 0 <= gamma <= 1:
            raise ValueError(f'gamma={gamma} must be a probability in [0, 1]')
        self.freq_threshold = float(freq_threshold)
        self.gamma = float(gamma)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                class_counts: Optional[Tensor] = None) -> Tensor:
        tail = self._per_class(
            f'tail{self.freq_threshold}', class_counts, cls_score,
            lambda counts: class_prior(counts) < self.freq_threshold) > 0
        drop = bernoulli_tail_mask(tail, cls_score.shape[0], self.gamma)
        loss = softmax_eql_loss(cls_score, label, drop)
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
