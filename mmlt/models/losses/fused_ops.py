"""Computations several losses share, with hand-written gradients.

Chained element-wise PyTorch ops each allocate and traverse an ``N x C``
tensor in the forward and again in the backward pass; on CPU (where each
fresh 2 MB tensor also costs page faults) that made LDAM, CDT, the
equalization loss and the sigmoid losses up to about 9x slower than plain
cross-entropy on 512 x 1000 logits (``benchmarks/bench_losses.py``).
These autograd functions compute the same values with about as many
``N x C`` passes as ``F.cross_entropy`` (or fewer). Each loss keeps its
formula readable and calls them; the tests check them against direct float64
evaluations of the papers' equations and with ``torch.autograd.gradcheck``.

* :func:`adjusted_cross_entropy`: ``-sum_j w_j y_j log softmax(a * z + b)_j``
  with a per-class (or scalar) scale ``a``, per-class or per-element offset
  ``b``, an offset on the target logit only, and masked (removed) logits.
* :func:`sigmoid_focal_one_hot`: per-sample sums of the sigmoid focal terms
  ``-(1 - p_y)^g log p_y - sum_{c != y} p_c^g log(1 - p_c)`` for class
  indices ``y`` (``g = 0``: one-vs-all binary cross-entropy).
* :func:`subset_cross_entropy`: cross-entropy over the logits that stay
  (some columns in every row plus given ``(sample, class)`` pairs), at a
  cost that follows what stays.
"""
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'adjusted_cross_entropy', 'sigmoid_focal_one_hot', 'subset_cross_entropy'
]

Scale = Union[None, float, Tensor]


def _adjusted_logits(logits: Tensor, scale: Scale, offset: Optional[Tensor],
                     target: Tensor, target_offset: Optional[Tensor],
                     mask: Optional[Tensor]) -> Tensor:
    """``a * z + b`` (+ ``t`` on the target logit; ``-inf`` where masked),
    in place on the first new tensor."""
    z = logits if scale is None else logits * scale
    if offset is not None:
        z = z + offset if z is logits else z.add_(offset)
    if target_offset is not None:
        z = z.clone() if z is logits else z
        z.scatter_add_(1, target[:, None], target_offset[:, None])
    if mask is not None:
        z = z.masked_fill(mask, float('-inf'))
    return z


class _SoftAdjustedCrossEntropy(torch.autograd.Function):
    """Soft labels: ``-sum_j w_j y_j log softmax(z')_j`` with the backward
    ``(sum_j w_j y_j) p - w y`` in one fresh tensor, and ``0 * -inf``
    (a masked, unlabelled class) counted as 0."""

    @staticmethod
    def forward(ctx, logits: Tensor, target: Tensor, scale: Scale,
                offset: Optional[Tensor], mask: Optional[Tensor],
                class_weight: Optional[Tensor]) -> Tensor:
        log_p = torch.log_softmax(
            _adjusted_logits(logits, scale, offset, target, None, mask),
            dim=1)
        wy = target if class_weight is None else target * class_weight
        loss = -(wy * log_p.clamp_min(torch.finfo(log_p.dtype).min)).sum(
            dim=1)
        ctx.save_for_backward(log_p, wy,
                              scale if isinstance(scale, Tensor) else None)
        ctx.scalar_scale = scale if not isinstance(scale, Tensor) else None
        return loss

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        log_p, wy, scale_t = ctx.saved_tensors
        # p = softmax(log p): the softmax kernel's vectorised exp stays fast
        # where p underflows (torch.exp was 10x slower on such denormals)
        grad = torch.softmax(log_p, dim=1)
        grad.mul_((wy.sum(dim=1) * grad_out)[:, None])
        grad.sub_(wy * grad_out[:, None])
        scale = scale_t if scale_t is not None else ctx.scalar_scale
        if scale is not None:
            grad.mul_(scale)
        return grad, None, None, None, None, None


def adjusted_cross_entropy(logits: Tensor,
                           target: Tensor,
                           scale: Scale = None,
                           offset: Optional[Tensor] = None,
                           target_offset: Optional[Tensor] = None,
                           mask: Optional[Tensor] = None,
                           class_weight: Optional[Tensor] = None) -> Tensor:
    r"""Per-sample cross-entropy of adjusted logits.

    .. math::
        L_i = -\sum_j w_j y_{ij} \log \mathrm{softmax}(z'_i)_j, \qquad
        z'_{ij} = a_j z_{ij} + b_{ij} + \delta_{j y_i} t_i

    and :math:`z'_{ij} = -\infty` where ``mask`` is True.

    Class indices go through ``F.cross_entropy`` on the adjusted logits
    (in place after the first new tensor): its fused log-softmax backward
    beat a hand-written softmax backward by a fifth of a cross-entropy on
    512 x 1000 logits (``benchmarks/bench_losses.py``). Soft labels use a
    hand-written backward.

    Args:
        logits: ``(N, C)`` logits ``z`` (the only input with a gradient).
        target: ``(N,)`` class indices or ``(N, C)`` soft labels ``y``.
        scale: ``a``: a float or a ``(C,)`` tensor.
        offset: ``b``: ``(C,)`` or ``(N, C)``.
        target_offset: ``t``: ``(N,)``, added to each sample's target logit
            (class indices only).
        mask: ``(N, C)`` bool; True removes the logit from the softmax.
        class_weight: ``(C,)`` weights ``w``.
    """
    if target.dim() == 1:
        z = _adjusted_logits(logits, scale, offset, target, target_offset,
                             mask)
        return F.cross_entropy(z, target, weight=class_weight,
                               reduction='none')
    if target_offset is not None:
        raise ValueError('target_offset needs class indices')
    return _SoftAdjustedCrossEntropy.apply(logits, target, scale, offset,
                                           mask, class_weight)


class _SubsetCrossEntropy(torch.autograd.Function):

    @staticmethod
    def forward(ctx, logits: Tensor, label: Tensor, head: Tensor,
                flat: Tensor, lengths: Tensor,
                target_in_head: Tensor) -> Tensor:
        n, c = logits.shape
        k = flat.numel()
        z_y = logits.gather(1, label[:, None]).squeeze(1)
        z_head = logits.index_select(1, head)
        z_kept = logits.reshape(-1).index_select(0, flat)
        rows = torch.arange(n, device=logits.device).repeat_interleave(
            lengths, output_size=k)
        # the largest logit that stays in each row, for a stable exp
        top = z_y.clone()
        if head.numel():
            top = torch.maximum(top, z_head.amax(dim=1))
        top.scatter_reduce_(0, rows, z_kept, 'amax')
        e_head = z_head.sub_(top[:, None]).exp_()
        e_kept = z_kept.sub_(top.index_select(0, rows)).exp_()
        if k:
            # a kept pair on the target counts once, as the target: find
            # the targets among the increasing flat indices (N lookups)
            target = torch.arange(0, n * c, c, device=logits.device).add_(
                label)
            at = torch.searchsorted(flat, target).clamp_max_(k - 1)
            e_kept.index_fill_(0, at[flat.index_select(0, at) == target], 0)
        # the target counts once: in the head block or on its own
        e_y = (z_y - top).exp_().masked_fill_(target_in_head, 0)
        # the pairs come row by row: a segment sum (index_add_ was slower)
        total = e_head.sum(dim=1).add_(e_y).add_(
            torch.segment_reduce(e_kept, 'sum', lengths=lengths))
        loss = total.log().add_(top).sub_(z_y)
        # the softmax is e / total; the backward divides, with its own
        # upstream gradient, in one gather over the kept pairs
        inv = total.reciprocal_()
        ctx.save_for_backward(label, head, flat, rows,
                              e_head.mul_(inv[:, None]), e_kept,
                              e_y.mul_(inv), inv)
        ctx.shape = (n, c)
        return loss

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        label, head, flat, rows, p_head, e_kept, p_y, inv = ctx.saved_tensors
        grad = p_head.new_zeros(ctx.shape)
        if head.numel():
            grad.index_copy_(1, head, p_head * grad_out[:, None])
        grad.view(-1).index_copy_(
            0, flat, e_kept * (inv * grad_out).index_select(0, rows))
        # d/dz_y = p_y - 1; p_y is already in place where the target is a
        # head class or a kept pair (the own p_y is 0 then)
        grad.scatter_add_(1, label[:, None],
                          ((p_y - 1) * grad_out)[:, None])
        return grad, None, None, None, None, None


def subset_cross_entropy(logits: Tensor, label: Tensor, head: Tensor,
                         flat: Tensor, lengths: Tensor) -> Tensor:
    r"""Per-sample cross-entropy over a subset of each sample's logits.

    .. math::
        L_i = \log \sum_{j \in S_i} e^{z_{ij}} - z_{i y_i}, \qquad
        S_i = \mathrm{head} \cup \{c : (i, c)\ \mathrm{kept}\}
        \cup \{y_i\}

    Every other logit is removed from the softmax (gradient 0). Costs
    ``N x |head|`` plus the number of kept pairs (and one zero-filled
    gradient), not ``N x C``: when most logits leave, as in the softmax
    equalization loss, much less than a softmax over a ``-inf``-masked
    ``N x C`` tensor, whose exp of ``-inf`` was slow on CPU.

    Args:
        logits: ``(N, C)``.
        label: ``(N,)`` class indices.
        head: ``(H,)`` columns kept in every row.
        flat: ``(K,)`` the other kept pairs as increasing flat indices
            ``i * C + c`` into ``(N, C)``, none in a ``head`` column (a
            sample's target may be among them).
        lengths: ``(N,)`` how many of them each row has.
    """
    logits = logits.contiguous()
    in_head = torch.zeros(logits.shape[1], dtype=torch.bool,
                          device=logits.device)
    in_head[head] = True
    return _SubsetCrossEntropy.apply(logits, label, head, flat, lengths,
                                     in_head.index_select(0, label))


def _power_(x: Tensor, exponent: float) -> Tensor:
    """In-place ``x ** exponent`` (``x`` is overwritten)."""
    if exponent == 1:
        return x
    if exponent == 2:
        return x.mul_(x)
    if exponent == 4:
        return x.mul_(x).mul_(x)
    return x.pow_(exponent)


def _power(x: Tensor, exponent: float) -> Tensor:
    """``x ** exponent``, by multiplication for 1, 2 and 4 (torch's generic
    ``pow`` is several times slower on CPU); ``x ** 0`` is 1."""
    if exponent == 0:
        return torch.ones_like(x)
    if exponent == 1:
        return x
    if exponent == 2:
        return x * x
    if exponent == 4:
        x2 = x * x
        return x2.mul_(x2)
    return x.pow(exponent)


def _sum_log_(x: Tensor, factors: int = 64) -> Tensor:
    """Row sums of ``log x`` for ``x`` in ``[1/2, 1]``; ``x`` is overwritten.

    Pairwise products halve the width until each entry is the product of
    at most ``factors`` values (``>= 2^-64``, far from float32 underflow),
    then one ``log`` per entry: on CPU the ``log`` of every element cost
    as much as the rest of the sigmoid loss. Each product rounds with a
    relative error of at most one unit in the last place per factor, so
    the sum is off by at most about ``factors * eps`` per entry.
    """
    width, grouped = x.shape[1], 1
    while grouped < factors and width > 1:
        half = width // 2
        # with an odd width the middle column stays on its own
        x[:, :half].mul_(x[:, width - half:width])
        width -= half
        grouped *= 2
    return x[:, :width].log_().sum(dim=1)


class _SigmoidFocalOneHot(torch.autograd.Function):
    """The ``N x C`` part treats every class as a negative; the target
    column is corrected with ``N``-sized terms. Three (``gamma=0``) or
    four fresh ``N x C`` tensors in all, the backward included
    (cross-entropy makes three): on CPU, with glibc's default ``malloc``,
    each one can cost page faults on top of its arithmetic."""

    @staticmethod
    def forward(ctx, logits: Tensor, label: Tensor, gamma: float) -> Tensor:
        # softplus(z) = -log(1 - p) = max(z, 0) - log sigmoid(|z|), and
        # sigmoid(|z|) = max(p, 1 - p) = 1/2 + |p - 1/2| lies in [1/2, 1)
        p = torch.sigmoid(logits)
        if gamma == 0:
            buf = logits.clamp_min(0)
            relu_sum = buf.sum(dim=1)
            q = torch.sub(p, 0.5, out=buf).abs_().add_(0.5)
            neg = relu_sum - _sum_log_(q)
            grad = p  # d/dz softplus(z) = p
        else:
            # minus softplus, in place
            neg_sp = torch.sub(p, 0.5).abs_().add_(0.5).log_()
            grad = logits.clamp_min(0)
            neg_sp.sub_(grad)
            # grad = d/dz [p^g softplus] = p^g (p + g (1 - p) softplus)
            torch.mul(p, neg_sp, out=grad).sub_(neg_sp)
            torch.add(p, grad, alpha=gamma, out=grad)
            p_g = _power_(p, gamma)
            grad.mul_(p_g)
            # mul_ + sum: torch.linalg.vecdot took twice as long on CPU
            neg = p_g.mul_(neg_sp).sum(dim=1).neg_()
            del neg_sp
        del p
        z_y = logits.gather(1, label[:, None]).squeeze(1)
        log_py = F.logsigmoid(z_y)
        p_y = torch.sigmoid(z_y)
        q_y = 1 - p_y
        q_g = _power(q_y, gamma)
        pos = -q_g * log_py
        neg_y = _power(p_y, gamma) * (z_y - log_py)
        # d/dz [-(1 - p)^g log p] = (1 - p)^g (g p log p - (1 - p))
        grad_y = q_g * (gamma * p_y * log_py - q_y)
        ctx.save_for_backward(grad, label, grad_y)
        return neg - neg_y + pos

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        grad, label, grad_y = ctx.saved_tensors
        # not in place: gradcheck and retain_graph run the backward again
        out = grad * grad_out[:, None]
        out.scatter_(1, label[:, None], (grad_y * grad_out)[:, None])
        return out, None, None


def sigmoid_focal_one_hot(logits: Tensor, label: Tensor,
                          gamma: float = 0.0) -> Tensor:
    r"""Per-sample sigmoid focal loss for one-hot targets (class indices).

    .. math::
        L_i = -(1 - p_{iy})^\gamma \log p_{iy}
              - \sum_{c \ne y} p_{ic}^\gamma \log(1 - p_{ic}),
        \qquad p = \sigma(z)

    ``gamma=0`` is the binary cross-entropy summed over classes. Exact for
    logits of any magnitude (``log(1 - p)`` through softplus).
    """
    return _SigmoidFocalOneHot.apply(logits, label, float(gamma))
