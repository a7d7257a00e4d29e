"""Influence-balanced loss (Park et al., ICCV 2021)."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import _power
from .softmax_focal_loss import focal_modulator, softmax_focal_loss
from .utils import (BaseLTLoss, inverse_power_weights, reduce_loss_with_weight,
                    split_label, upcast)

__all__ = [
    'InfluenceBalancedLoss', 'InfluenceBalancedFocalLoss',
    'influence_balanced_loss', 'sample_influence'
]


class _RowL1Norm(torch.autograd.Function):
    """``|h_i|_1`` per row; the backward writes ``sgn(h) * g`` into one
    fresh tensor (autograd's vector_norm backward made two: sgn, then the
    product). The forward is ``abs`` then ``sum``: on CPU
    ``torch.linalg.vector_norm(h, ord=1, dim=1)`` took about 6x as long
    for 512 x 768 features."""

    @staticmethod
    def forward(ctx, h: Tensor) -> Tensor:
        ctx.save_for_backward(h)
        return h.abs().sum(dim=1)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> Tensor:
        h, = ctx.saved_tensors
        return torch.sgn(h).mul_(grad_out[:, None])


def _feature_norm(feats: Tensor, dtype: torch.dtype) -> Tensor:
    """``|h|_1`` per sample of the final layer's input, in ``dtype``."""
    return _RowL1Norm.apply(upcast(feats).flatten(1)).to(dtype)


def _influence(log_p: Tensor, label: Tensor, soft: bool,
               feats: Tensor) -> Tensor:
    """``|p - y|_1 |h|_1`` from ``log p``."""
    h_norm = _feature_norm(feats, log_p.dtype)
    if soft:
        grad_norm = (torch.softmax(log_p, dim=1) -
                     label.to(log_p.dtype)).abs().sum(dim=1)
    else:
        # |p - onehot|_1 = (1 - p_y) + sum_{j != y} p_j = 2 (1 - p_y)
        log_pt = log_p.gather(1, label[:, None]).squeeze(1)
        grad_norm = -2.0 * torch.expm1(log_pt)
    return grad_norm * h_norm


def sample_influence(cls_score: Tensor, label: Tensor,
                     feats: Tensor) -> Tensor:
    r"""Per-sample influence :math:`\lVert p - y \rVert_1 \cdot
    \lVert h \rVert_1`: the L1 norm of the gradient of the cross-entropy
    w.r.t. the final linear layer's weights (Park et al. 2021), with
    ``p = softmax(z)`` and ``h`` that layer's input.
    """
    logits = upcast(cls_score)
    label, soft = split_label(label, logits)
    return _influence(F.log_softmax(logits, dim=1), label, soft, feats)


class _InfluenceBalancedTerms(torch.autograd.Function):
    """The influence-balanced loss of each sample from ``u = log p_y`` and
    ``n = |h|_1``, for class indices.

    For hard labels every per-sample quantity is a function of ``u`` and
    ``n`` only (``|p - y|_1 = 2 (1 - p_y)``), so the forward computes the
    loss and its two derivatives ``dL/du`` and ``dL/dn`` at once: about 25
    small autograd nodes less than the composed version, which on CPU cost
    as much as the ``N x C`` work. ``u`` comes from ``F.cross_entropy``,
    whose fused backward is the cheapest way to ``dL/dz``, and ``n`` from
    :class:`_RowL1Norm`.
    """

    @staticmethod
    def forward(ctx, u: Tensor, h_norm: Tensor, weight: Union[float, Tensor],
                epsilon: float, gamma: float) -> Tensor:
        p_y = u.exp()
        # 1 - p_y, kept > 0 so that q^(gamma - 1) stays finite
        q = (-torch.expm1(u)).clamp_min_(torch.finfo(u.dtype).tiny)
        # 1 / den and w / den, den = 2 q n + eps
        inv = q.mul(h_norm).mul_(2).add_(epsilon).reciprocal_()
        w_inv = inv * weight
        if gamma == 0:  # f = -u, f' = -1
            loss = u.mul(w_inv).neg_()
            d_u = -w_inv
        else:
            mod = _power(q, gamma)
            loss = (mod * u).mul_(w_inv).neg_()
            # f' = d/du [-(1 - e^u)^g u] = g (1 - p)^(g-1) p u - (1 - p)^g
            d_u = (mod * gamma * p_y * u).div_(q).sub_(mod).mul_(w_inv)
        # dL/du = w f'/den - w f d(den)/du / den^2, d(den)/du = -2 n p_y;
        # dL/dn = -w f 2 q / den^2, with L = w f / den
        loss_2_den = loss.mul(inv).mul_(2)
        d_u.addcmul_(loss_2_den, h_norm * p_y)
        d_n = loss_2_den.mul_(q).neg_()
        ctx.save_for_backward(d_u, d_n)
        return loss

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        d_u, d_n = ctx.saved_tensors
        return grad_out * d_u, grad_out * d_n, None, None, None


def influence_balanced_loss(cls_score: Tensor,
                            label: Tensor,
                            feats: Tensor,
                            class_weight: Optional[Tensor] = None,
                            alpha: float = 1000.0,
                            epsilon: float = 1e-3,
                            gamma: float = 0.0) -> Tensor:
    r"""Per-sample influence-balanced loss (Park et al. 2021).

    .. math::
        L_{IB} = \frac{\alpha \, \lambda_y \, L(y, f(x))}
        {\lVert p - y \rVert_1 \cdot \lVert h \rVert_1 + \epsilon}

    with ``L`` cross-entropy (``gamma=0``) or the softmax focal loss
    ``-(1 - p_t)^gamma log p_t`` (IB-focal), ``lambda`` the class weights
    and ``h`` the input of the final linear layer (see
    :func:`sample_influence`). As in the authors' code the gradient flows
    through the influence as well. Soft labels ``y`` use
    :math:`-\sum_c \lambda_c y_c (1 - p_c)^\gamma \log p_c` and
    :math:`\lVert p - y \rVert_1` with the soft ``y``.

    Returns:
        Tensor: ``(N,)`` losses.
    """
    logits = upcast(cls_score)
    label, soft = split_label(label, logits)
    if not soft:
        log_pt = -F.cross_entropy(logits, label, reduction='none')
        weight = float(alpha) if class_weight is None else \
            class_weight[label] * alpha
        return _InfluenceBalancedTerms.apply(log_pt,
                                             _feature_norm(feats, log_pt.dtype),
                                             weight,
                                             float(epsilon), float(gamma))
    log_p = F.log_softmax(logits, dim=1)
    loss = -label.to(log_p.dtype) * focal_modulator(log_p, gamma) * log_p
    if class_weight is not None:
        loss = loss * class_weight
    loss = loss.sum(dim=1)
    influence = _influence(log_p, label, soft, feats)
    return alpha * loss / (influence + epsilon)


@MODELS.register_module()
class InfluenceBalancedLoss(BaseLTLoss):
    r"""Influence-balanced loss (Park et al., "Influence-Balanced Loss for
    Imbalanced Visual Classification", ICCV 2021).

    Each sample's loss is divided by its influence on the final layer,
    :math:`\lVert p - y \rVert_1 \lVert h \rVert_1`, and weighted by
    :math:`\lambda_k \propto n_k^{-1}` (normalised to sum to ``C``, the
    authors' "IBReweight") and ``alpha`` (see
    :func:`influence_balanced_loss`). The head passes ``h`` (``feats``).

    The paper trains with plain cross-entropy first and switches to IB
    halfway (epoch 100 of 200): ``IBWarmStartHook`` sets :attr:`use_ib`;
    while it is False the loss is cross-entropy. Soft labels (Mixup/CutMix)
    are supported (see :func:`influence_balanced_loss`).

    Args:
        alpha: Scale of the influence-balanced term (1000 in the authors'
            CIFAR training script).
        epsilon: Added to the influence (1e-3 in the authors' code).
        gamma: Focusing parameter; 0 is IB, > 0 the IB-focal variant.
        class_reweight: Use the class weights ``lambda_k ∝ 1/n_k``; False
            gives ``lambda = 1``.
        use_ib: Start with the IB loss (True) or with cross-entropy until a
            hook switches (``IBWarmStartHook`` sets it every epoch).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (which passes them).
    """

    def __init__(self,
                 alpha: float = 1000.0,
                 epsilon: float = 1e-3,
                 gamma: float = 0.0,
                 class_reweight: bool = True,
                 use_ib: bool = True,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(reduction, loss_weight, class_counts)
        if alpha <= 0:
            raise ValueError(f'alpha={alpha} must be > 0')
        if epsilon <= 0:
            raise ValueError(f'epsilon={epsilon} must be > 0')
        if gamma < 0:
            raise ValueError(f'gamma={gamma} must be >= 0')
        self.alpha = float(alpha)
        self.epsilon = float(epsilon)
        self.gamma = float(gamma)
        self.class_reweight = bool(class_reweight)
        self.use_ib = bool(use_ib)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                class_counts: Optional[Tensor] = None,
                feats: Optional[Tensor] = None) -> Tensor:
        logits = upcast(cls_score)
        if not self.use_ib:
            loss = softmax_focal_loss(logits, label, 0.0)
        else:
            if feats is None:
                raise RuntimeError(
                    f'{type(self).__name__} needs the final layer input h: '
                    "use mmlt's LTLinearClsHead (it passes feats) or pass "
                    'feats=')
            if feats.shape[0] != logits.shape[0]:
                raise ValueError(
                    f'feats of shape {tuple(feats.shape)} do not match '
                    f'{logits.shape[0]} scores')
            class_weight = None
            if self.class_reweight:
                class_weight = self._per_class(
                    'lambda', class_counts, logits,
                    lambda counts: inverse_power_weights(counts, 1.0))
            loss = influence_balanced_loss(logits, label, feats,
                                           class_weight, self.alpha,
                                           self.epsilon, self.gamma)
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)


@MODELS.register_module()
class InfluenceBalancedFocalLoss(InfluenceBalancedLoss):
    """IB-focal: :class:`InfluenceBalancedLoss` with the focal term.

    ``gamma`` defaults to 1, the authors' CIFAR training script's value;
    the other arguments are those of :class:`InfluenceBalancedLoss`.
    """

    def __init__(self, gamma: float = 1.0, **kwargs) -> None:
        super().__init__(gamma=gamma, **kwargs)
