"""Penalty-reduced focal loss for Gaussian heatmaps (CornerNet/CenterNet)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import _power, sigmoid_focal_one_hot
from .utils import BaseLTLoss, upcast

__all__ = ['FocalHeatmapLoss', 'focal_heatmap_loss']


def focal_heatmap_loss(pred: Tensor,
                       target: Tensor,
                       alpha: float = 2.0,
                       beta: float = 4.0,
                       use_sigmoid: bool = True,
                       eps: float = 1e-4) -> Tensor:
    r"""Element-wise penalty-reduced focal loss (CornerNet, Eq. 1).

    .. math::
        L = \begin{cases}
        -(1 - p)^\alpha \log p & y = 1 \\
        -(1 - y)^\beta p^\alpha \log(1 - p) & \text{otherwise}
        \end{cases}

    Args:
        pred: Logits (``use_sigmoid=True``) or probabilities, any shape.
        target: Heatmap (Gaussian peaks equal to 1) of the same shape.
        alpha: Focusing exponent.
        beta: Exponent of the penalty reduction near a peak.
        use_sigmoid: ``pred`` are logits (numerically exact via
            log-sigmoid) rather than probabilities.
        eps: Probabilities are clamped to ``[eps, 1 - eps]`` when
            ``use_sigmoid=False`` (CenterNet clamps to 1e-4).

    Returns:
        Tensor: The loss of each element (not normalised).
    """
    pred = upcast(pred)
    target = target.to(pred.dtype)
    if use_sigmoid:
        log_p = F.logsigmoid(pred)
        log_1mp = log_p - pred
        p = torch.sigmoid(pred)
    else:
        p = pred.clamp(eps, 1 - eps)
        log_p = torch.log(p)
        log_1mp = torch.log1p(-p)
    pos = (target == 1).to(pred.dtype)
    # (1 - y)^beta is 0 at the peaks: the negative term vanishes there
    return -(pos * _power(1 - p, alpha) * log_p +
             _power(1 - target, beta) * _power(p, alpha) * log_1mp)


@MODELS.register_module()
class FocalHeatmapLoss(BaseLTLoss):
    r"""Penalty-reduced focal loss for Gaussian heatmaps (Law & Deng,
    "CornerNet", ECCV 2018, Eq. 1; Zhou et al., "Objects as Points"
    (CenterNet), 2019, Eq. 1), normalised by the number of positives.

    Works on ``N x K x H x W`` heatmaps (keypoints, centres) and on
    ``N x C`` soft targets (or ``N`` class indices, taken as one-hot). See
    :func:`focal_heatmap_loss`.

    MMPose heads call ``loss(pred, target, target_weights)``: the third
    argument is ``weight``. Its shape decides its meaning:

    * ``(N, K)`` (the first two dims of ``pred``): per-keypoint (per-class)
      target weights, used when ``use_target_weight=True`` and ignored
      otherwise (MMPose's convention);
    * ``(N,)``: per-sample weights (mmlt's group weights), always used.

    ``mask`` (broadcastable to ``pred``) removes elements. ``reduction``
    ``'mean'`` divides the sum by ``avg_factor`` when given (MMPretrain's
    head passes the batch size, the number of positives of one-hot
    targets) and otherwise by the number of positives (at least 1);
    ``'none'`` returns per-sample sums.

    From an MMPose config (MMPose need not be installed for mmlt), load
    mmlt and use the scoped name:
    ``custom_imports=dict(imports=['mmlt'])`` and
    ``loss=dict(type='mmpretrain.FocalHeatmapLoss', use_target_weight=True,
    use_sigmoid=False)`` (``use_sigmoid=False`` for heads that output
    probabilities). MMPose's own ``FocalHeatmapLoss`` (its registry, not
    MMPretrain's) takes probabilities too.

    Args:
        alpha: Focusing exponent (2 in CornerNet and CenterNet).
        beta: Penalty-reduction exponent (4 in CornerNet and CenterNet).
        use_target_weight: Apply per-keypoint target weights.
        use_sigmoid: ``pred`` are logits (True) or probabilities.
        eps: Clamp of probabilities when ``use_sigmoid=False``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
    """

    def __init__(self,
                 alpha: float = 2.0,
                 beta: float = 4.0,
                 use_target_weight: bool = False,
                 use_sigmoid: bool = True,
                 eps: float = 1e-4,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(reduction, loss_weight)
        if alpha < 0 or beta < 0:
            raise ValueError(f'alpha={alpha} and beta={beta} must be >= 0')
        if not 0 < eps < 0.5:
            raise ValueError(f'eps={eps} must be in (0, 0.5)')
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.use_target_weight = bool(use_target_weight)
        self.use_sigmoid = bool(use_sigmoid)
        self.eps = float(eps)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                mask: Optional[Tensor] = None) -> Tensor:
        reduction = self._reduction(reduction_override)
        pred = upcast(cls_score)
        if pred.dim() < 2:
            raise ValueError(f'pred must be N x C or N x K x H x W, got '
                             f'shape {tuple(pred.shape)}')
        sample_weight, target_weight = self._split_weight(weight, pred)
        hard = label.dim() == 1 and pred.dim() == 2 and \
            not label.is_floating_point()
        if hard and self.use_sigmoid and target_weight is None and \
                mask is None:
            # one-hot target: (1 - y)^beta is 1 on every negative
            per_sample = sigmoid_focal_one_hot(pred, label.long(), self.alpha)
            num_pos = pred.new_tensor(float(pred.shape[0]))
        else:
            if hard:
                label = F.one_hot(label.long(), pred.shape[1])
            if label.shape != pred.shape:
                raise ValueError(
                    f'target of shape {tuple(label.shape)} must match pred '
                    f'of shape {tuple(pred.shape)} (or be N class indices)')
            elementwise = focal_heatmap_loss(pred, label, self.alpha,
                                             self.beta, self.use_sigmoid,
                                             self.eps)
            keep = torch.ones_like(elementwise)
            if target_weight is not None:
                keep = keep * target_weight.reshape(
                    target_weight.shape + (1, ) * (pred.dim() - 2))
            if mask is not None:
                keep = keep * mask.to(pred.dtype)
            elementwise = elementwise * keep
            per_sample = elementwise.flatten(1).sum(dim=1)
            num_pos = ((label == 1) & (keep > 0)).sum().to(pred.dtype)
        if sample_weight is not None:
            per_sample = per_sample * sample_weight
        if reduction == 'none':
            loss = per_sample
        elif reduction == 'sum':
            loss = per_sample.sum()
        else:
            denominator = avg_factor if avg_factor is not None else \
                num_pos.clamp_min(1)
            loss = per_sample.sum() / denominator
        return self.loss_weight * loss

    def _split_weight(self, weight: Optional[Tensor], pred: Tensor):
        """``(per-sample weight, target weight)`` from ``weight``."""
        if weight is None:
            return None, None
        weight = weight.to(pred.dtype)
        if weight.shape == pred.shape[:1]:
            return weight, None
        if weight.shape == pred.shape[:2]:
            return None, weight if self.use_target_weight else None
        raise ValueError(
            f'weight of shape {tuple(weight.shape)} must be per sample '
            f'{tuple(pred.shape[:1])} or per keypoint/class '
            f'{tuple(pred.shape[:2])}')

