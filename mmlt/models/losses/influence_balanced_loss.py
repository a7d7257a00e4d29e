"""Influence-balanced loss (Park et al., ICCV 2021)."""
from typing import Dict, Optional, Sequence

import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss
from .softmax_focal_loss import softmax_focal_loss
from .utils import (cross_entropy_per_sample, inverse_power_weights,
                    one_hot_target, upcast)

__all__ = [
    'InfluenceBalancedLoss', 'InfluenceBalancedFocalLoss',
    'influence_balanced_loss', 'sample_influence'
]


def sample_influence(cls_score: Tensor, label: Tensor,
                     feats: Tensor) -> Tensor:
    r"""Per-sample influence :math:`\lVert p - y \rVert_1 \cdot
    \lVert h \rVert_1`: the L1 norm of the gradient of the cross-entropy
    w.r.t. the final linear layer's weights (Park et al. 2021), with
    ``p = softmax(z)`` and ``h`` that layer's input.
    """
    logits = upcast(cls_score)
    target = one_hot_target(label, logits)
    grad_norm = (F.softmax(logits, dim=1) - target).abs().sum(dim=1)
    feats_norm = upcast(feats).flatten(1).abs().sum(dim=1)
    return grad_norm * feats_norm.to(logits.dtype)


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
    loss = softmax_focal_loss(logits, label, gamma, class_weight)
    return alpha * loss / (sample_influence(logits, label, feats) + epsilon)


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
        class_counts: Training images per class, for use without mmlt's
            head (which hands them over).
        **kwargs: ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.BaseLTLoss`).
    """

    # the head passes the final layer's input h
    extra_inputs = ('feats', )
    logit_kind = 'reweighted'
    logit_kind_how = 'weights each sample by its class and its influence'

    def __init__(self,
                 alpha: float = 1000.0,
                 epsilon: float = 1e-3,
                 gamma: float = 0.0,
                 class_reweight: bool = True,
                 use_ib: bool = True,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
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
        self._receive_counts(class_counts)

    @property
    def needs_class_counts(self) -> bool:
        return self.class_reweight

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(ib_weight=inverse_power_weights(counts, 1.0))

    def class_weight_in_effect(self) -> Optional[Tensor]:
        return self.ib_weight if self.class_reweight else None

    def per_sample_loss(self, logits: Tensor, label: Tensor,
                        feats: Optional[Tensor] = None) -> Tensor:
        if not self.use_ib:
            return cross_entropy_per_sample(logits, label)
        if feats is None:
            raise RuntimeError(
                f'{type(self).__name__} needs the final layer input h: '
                "use mmlt's LTLinearClsHead (it passes feats) or pass "
                'feats=')
        if feats.shape[0] != logits.shape[0]:
            raise ValueError(
                f'feats of shape {tuple(feats.shape)} do not match '
                f'{logits.shape[0]} scores')
        return influence_balanced_loss(logits, label, feats,
                                       self.class_weight_for(logits),
                                       self.alpha, self.epsilon, self.gamma)


@MODELS.register_module()
class InfluenceBalancedFocalLoss(InfluenceBalancedLoss):
    """IB-focal: :class:`InfluenceBalancedLoss` with the focal term.

    ``gamma`` defaults to 1, the authors' CIFAR training script's value;
    the other arguments are those of :class:`InfluenceBalancedLoss`.
    """

    def __init__(self, gamma: float = 1.0, **kwargs) -> None:
        super().__init__(gamma=gamma, **kwargs)
