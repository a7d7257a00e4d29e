"""Label-aware smoothing (Zhong et al., CVPR 2021: MiSLAS)."""
import math
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss
from .utils import one_hot_target, upcast

__all__ = [
    'LAS_SHAPES', 'LAS_SPREADS', 'LabelAwareSmoothingLoss',
    'label_aware_smoothing', 'label_aware_smoothing_loss',
    'label_aware_targets'
]

#: The paper's three forms of the function f, as the official code
#: names them.
LAS_SHAPES = ('concave', 'linear', 'convex')
#: Where the smoothed mass ε_y goes: ``'others'``, the paper's target,
#: ε_y / (K - 1) on each other class; ``'all'``, the official code,
#: ε_y / K on every class, the true one included (as ordinary label
#: smoothing), so the true class keeps 1 - ε_y + ε_y / K.
LAS_SPREADS = ('others', 'all')


def label_aware_smoothing(counts: Tensor, smooth_head: float,
                          smooth_tail: float,
                          shape: str = 'concave') -> Tensor:
    r"""The smoothing factor :math:`\epsilon_y = f(N_y)` of each class.

    With :math:`t_y = (N_y - N_K) / (N_1 - N_K)` (0 for the rarest class,
    1 for the most frequent one), :math:`\epsilon_1` = ``smooth_head`` and
    :math:`\epsilon_K` = ``smooth_tail`` (Zhong et al.):

    .. math::
        \text{concave: } f &= \epsilon_K + (\epsilon_1 - \epsilon_K)
            \sin\left(\tfrac{\pi}{2} t_y\right) \\
        \text{linear: } f &= \epsilon_K + (\epsilon_1 - \epsilon_K)\, t_y \\
        \text{convex: } f &= \epsilon_1 + (\epsilon_1 - \epsilon_K)
            \sin\left(\tfrac{3\pi}{2} + \tfrac{\pi}{2} t_y\right)

    All three run from :math:`\epsilon_K` at the rarest class to
    :math:`\epsilon_1` at the most frequent one. When every class has the
    same count (:math:`N_1 = N_K`, where the paper's ratio is 0/0) every
    class is a head class: :math:`\epsilon_y = \epsilon_1`.

    Args:
        counts: Training images per class, ``(K,)``.
        smooth_head: :math:`\epsilon_1`, the factor of the most frequent
            class.
        smooth_tail: :math:`\epsilon_K`, the factor of the rarest class.
        shape: One of :data:`LAS_SHAPES`.

    Returns:
        ``(K,)`` float64 factors.
    """
    if shape not in LAS_SHAPES:
        raise ValueError(f'shape={shape!r} must be one of {LAS_SHAPES}')
    counts = counts.to(torch.float64)
    n_1, n_k = counts.max(), counts.min()
    if n_1 == n_k:
        return torch.full_like(counts, float(smooth_head))
    t = (counts - n_k) / (n_1 - n_k)
    if shape == 'concave':
        return smooth_tail + (smooth_head - smooth_tail) * torch.sin(
            math.pi / 2 * t)
    if shape == 'linear':
        return smooth_tail + (smooth_head - smooth_tail) * t
    return smooth_head + (smooth_head - smooth_tail) * torch.sin(
        3 * math.pi / 2 + math.pi / 2 * t)


def label_aware_targets(smoothing: Tensor, spread: str = 'others') -> Tensor:
    r"""The smoothed target distribution :math:`q` of each class, as the
    rows of a ``(K, K)`` matrix.

    For a sample of class :math:`y` (Zhong et al.):

    .. math::
        q_i = \begin{cases} 1 - \epsilon_y & i = y \\
        \epsilon_y / (K - 1) & i \neq y \end{cases}

    (``spread='others'``), or :math:`q_i = (1 - \epsilon_y)[i = y] +
    \epsilon_y / K` (``spread='all'``, the official code). Row :math:`y`
    is the target of class :math:`y`, so ``one_hot(y) @ targets`` is a
    sample's target, and a soft label (mixup's :math:`\lambda e_a +
    (1 - \lambda) e_b`) gets :math:`\lambda q^{(a)} + (1 - \lambda)
    q^{(b)}`, the official ``mixup_criterion`` (the loss is linear in
    :math:`q`).

    Args:
        smoothing: ``(K,)`` factors :math:`\epsilon`.
        spread: One of :data:`LAS_SPREADS`.

    Returns:
        ``(K, K)`` in ``smoothing``'s dtype; each row sums to 1.
    """
    if spread not in LAS_SPREADS:
        raise ValueError(f'spread={spread!r} must be one of {LAS_SPREADS}')
    num_classes = smoothing.numel()
    eps = smoothing.view(-1, 1)
    eye = torch.eye(num_classes, dtype=smoothing.dtype,
                    device=smoothing.device)
    if spread == 'all':
        return eye * (1 - eps) + eps / num_classes
    if num_classes < 2:
        raise ValueError("spread='others' needs at least 2 classes, got "
                         f'{num_classes}')
    return eye * (1 - eps) + (1 - eye) * eps / (num_classes - 1)


def label_aware_smoothing_loss(cls_score: Tensor, label: Tensor,
                               smoothing: Tensor,
                               spread: str = 'others') -> Tensor:
    r"""Per-sample cross-entropy with label-aware smoothed targets.

    .. math::
        L = -\sum_{i=1}^{K} q_i \log p_i, \qquad
        p = \mathrm{softmax}(z)

    with :math:`q` of :func:`label_aware_targets` (Zhong et al.).
    Zero factors everywhere give cross-entropy.

    Args:
        cls_score: Logits ``(N, K)``.
        label: Class indices ``(N,)`` or scores ``(N, K)``.
        smoothing: ``(K,)`` factors :math:`\epsilon` (see
            :func:`label_aware_smoothing`).
        spread: One of :data:`LAS_SPREADS`.
    """
    logits = upcast(cls_score)
    if smoothing.numel() != logits.shape[-1]:
        raise ValueError(f'smoothing has {smoothing.numel()} factors but '
                         f'the scores have {logits.shape[-1]} classes')
    target = one_hot_target(label, logits) @ label_aware_targets(
        smoothing.to(logits), spread)
    return -(target * F.log_softmax(logits, dim=-1)).sum(dim=-1)


@MODELS.register_module()
class LabelAwareSmoothingLoss(BaseLTLoss):
    r"""Label-aware smoothing (Zhong et al., "Improving Calibration for
    Long-Tailed Recognition", CVPR 2021: MiSLAS).

    Cross-entropy against a smoothed target whose smoothing depends on the
    sample's class count: frequent classes, on which a long-tailed model is
    most over-confident, are smoothed most.

    .. math::
        L = -(1 - \epsilon_y) \log p_y
            - \sum_{i \neq y} \frac{\epsilon_y}{K - 1} \log p_i,
        \qquad \epsilon_y = f(N_y)

    with :math:`f` one of :func:`label_aware_smoothing`'s forms, from
    :math:`\epsilon_K` at the rarest class to :math:`\epsilon_1` at the
    most frequent one (see :func:`label_aware_smoothing_loss`). The paper
    uses it in its second stage (classifier learning with class-balanced
    sampling, ``configs/mislas/``). Prediction uses the raw logits.
    ``smooth_head = smooth_tail = 0`` is cross-entropy. Soft labels
    (Mixup/CutMix) get the mixture of their classes' targets.

    Args:
        smooth_head: :math:`\epsilon_1`, the factor of the most frequent
            class. 0.3: the official CIFAR-10-LT (IR 100) and ImageNet-LT
            stage-2 configs (CIFAR-100-LT IR 100: 0.4).
        smooth_tail: :math:`\epsilon_K`, the factor of the rarest class.
            0.0: the same configs (CIFAR-100-LT IR 100: 0.1).
        shape: How :math:`\epsilon` runs between them, one of
            :data:`LAS_SHAPES`; ``'concave'``, the paper's choice and the
            official code's default.
        spread: Where the smoothed mass goes, one of :data:`LAS_SPREADS`:
            ``'others'``, the paper's target; ``'all'``, the official code.
        class_counts: Training images per class, for use without mmlt's
            head (which hands them over).
        **kwargs: ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.BaseLTLoss`).
    """

    logit_kind = 'favours_rare'
    logit_kind_how = ('smooths the targets of frequent classes more than '
                      'those of rare ones while training (label-aware '
                      'smoothing)')

    needs_class_counts = True

    def __init__(self,
                 smooth_head: float = 0.3,
                 smooth_tail: float = 0.0,
                 shape: str = 'concave',
                 spread: str = 'others',
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        for name, value in (('smooth_head', smooth_head),
                            ('smooth_tail', smooth_tail)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value <= 1:
                raise ValueError(f'{name}={value!r} must be a number in '
                                 '[0, 1]')
        if shape not in LAS_SHAPES:
            raise ValueError(f'shape={shape!r} must be one of {LAS_SHAPES}')
        if spread not in LAS_SPREADS:
            raise ValueError(f'spread={spread!r} must be one of '
                             f'{LAS_SPREADS}')
        self.smooth_head = float(smooth_head)
        self.smooth_tail = float(smooth_tail)
        self.shape = shape
        self.spread = spread
        self._receive_counts(class_counts)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(smoothing=label_aware_smoothing(
            counts, self.smooth_head, self.smooth_tail, self.shape))

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        return label_aware_smoothing_loss(logits, label, self.smoothing,
                                          self.spread)
