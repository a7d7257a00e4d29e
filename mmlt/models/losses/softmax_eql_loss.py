"""Softmax equalization loss (Tan et al., CVPR 2020)."""
import math
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import adjusted_cross_entropy, subset_cross_entropy
from .utils import (BaseLTLoss, class_prior, reduce_loss_with_weight,
                    split_label, upcast)

__all__ = [
    'SoftmaxEQLLoss', 'softmax_eql_loss', 'softmax_eql_loss_kept',
    'bernoulli_positions'
]


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


def softmax_eql_loss_kept(cls_score: Tensor,
                          label: Tensor,
                          tail: Tensor,
                          kept: Tensor,
                          head: Optional[Tensor] = None) -> Tensor:
    """:func:`softmax_eql_loss` for class indices, given the draws as the
    positions of the tail entries that stay (fast when few stay: the cost
    follows the head classes and the kept entries, see
    :func:`~mmlt.models.losses.fused_ops.subset_cross_entropy`).

    Args:
        cls_score: Logits ``(N, C)``.
        label: Class indices ``(N,)``.
        tail: ``(T,)`` indices of the tail classes, increasing.
        kept: Increasing flat indices into the ``(N, T)`` tail block of the
            entries whose draw kept them (``beta = 0``); every other tail
            negative leaves the denominator.
        head: The other classes' indices, if known (derived from ``tail``
            when None).

    Returns:
        Tensor: ``(N,)`` losses.
    """
    logits = upcast(cls_score)
    n, c = logits.shape
    t = tail.numel()
    # pairs per sample: where each row's block starts among the positions
    starts = torch.searchsorted(
        kept, torch.arange(0, (n + 1) * t, t, device=kept.device))
    lengths = starts.diff()
    if t == c:  # every class a tail class: (N, T) is (N, C)
        flat = kept
    else:
        rows = torch.arange(n, device=kept.device).repeat_interleave(
            lengths, output_size=kept.numel())
        # index_select: advanced indexing was several times slower
        flat = tail.index_select(0, kept - rows * t).add_(rows.mul_(c))
    if head is None:
        is_head = torch.ones(c, dtype=torch.bool, device=logits.device)
        is_head[tail] = False
        head = torch.nonzero(is_head).flatten()
    return subset_cross_entropy(logits, label, head, flat, lengths)


def bernoulli_positions(num: int, prob: float,
                        device: torch.device) -> Tensor:
    """Increasing positions of the successes among ``num`` independent
    Bernoulli(``prob``) trials, from torch's global generator.

    Draws one number per success instead of one per trial: the gaps
    between successes are geometric, ``floor(log(1 - U) / log(1 - prob))``
    for uniform ``U`` (inverse CDF). For the equalization loss's default
    (``gamma = 0.9``, so a tenth of the tail entries stay) this is a tenth
    of the numbers ``torch.rand(N, T) < gamma`` draws; on CPU those draws
    alone took longer than the whole cross-entropy on 512 x 1000 logits
    (``benchmarks/bench_losses.py``). ``U`` is float32 (half the generator
    work of float64, and a vectorised ``log``): ``1 - U`` lies on a grid of
    step ``2^-24``, which shifts each gap's probabilities by at most
    ``2^-24`` (6e-8), far below what a training run can resolve.
    """
    if prob <= 0 or num == 0:
        return torch.zeros(0, dtype=torch.long, device=device)
    if prob >= 1:
        return torch.arange(num, device=device)
    scale = 1.0 / math.log1p(-prob)
    mean = num * prob
    # enough numbers to pass the end almost always (6 standard deviations)
    batch = int(mean + 6 * math.sqrt(mean * (1 - prob)) + 16)
    found = []
    start = 0
    while start < num:
        u = torch.rand(batch, device=device)
        # 1 - U in (0, 1]: never log(0); position = previous + gap + 1
        steps = u.neg_().add_(1).log_().mul_(scale).floor_().add_(1)
        pos = torch.cumsum(steps.clamp_max_(num + 1).long(), 0)
        pos.add_(start - 1)
        last = int(pos[-1])
        if last >= num:  # increasing: cut at the first position past the end
            pos = pos[:int(torch.searchsorted(pos, num))]
        found.append(pos)
        start = last + 1
    return found[0] if len(found) == 1 else torch.cat(found)


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

    def _tail_indices(self, tail: Tensor) -> Tuple[Tensor, Tensor]:
        """``nonzero(tail)`` and ``nonzero(~tail)``, kept while the tail
        mask stays the same."""
        cached = getattr(self, '_tail_cache', None)
        if cached is None or cached[0].shape != tail.shape or \
                cached[0].device != tail.device or \
                not torch.equal(cached[0], tail):
            cached = (tail.clone(), torch.nonzero(tail).flatten(),
                      torch.nonzero(~tail).flatten())
            self._tail_cache = cached
        return cached[1], cached[2]

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
        if self.gamma > 0.5 and label.dim() == 1 and tail.any():
            # most tail entries leave: draw the few that stay
            tail_idx, head_idx = self._tail_indices(tail)
            kept = bernoulli_positions(cls_score.shape[0] * tail_idx.numel(),
                                       1.0 - self.gamma, cls_score.device)
            loss = softmax_eql_loss_kept(cls_score, label, tail_idx, kept,
                                         head_idx)
        else:
            drop = bernoulli_tail_mask(tail, cls_score.shape[0], self.gamma)
            loss = softmax_eql_loss(cls_score, label, drop)
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
