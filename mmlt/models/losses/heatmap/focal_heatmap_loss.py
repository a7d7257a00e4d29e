"""Penalty-reduced focal loss for Gaussian heatmaps (CornerNet/CenterNet).

A heatmap loss (keypoints, centres; also soft ``N x C`` targets), not one of
the long-tail classification losses beside this folder: it lives apart so
the classification losses read as one family, and shares their
``BaseLTLoss`` template."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from ..base_loss import BaseLTLoss
from ..utils import upcast

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
        p = torch.sigmoid(pred)
        log_p, log_1mp = F.logsigmoid(pred), F.logsigmoid(-pred)
    else:
        p = pred.clamp(eps, 1 - eps)
        log_p, log_1mp = torch.log(p), torch.log1p(-p)
    pos = (target == 1).to(pred.dtype)
    # (1 - y)^beta is 0 at the peaks: the negative term vanishes there
    return -(pos * (1 - p).pow(alpha) * log_p +
             (1 - target).pow(beta) * p.pow(alpha) * log_1mp)


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
    targets) and otherwise, as MMPose's ``FocalHeatmapLoss`` does, by the
    positives counted with their target weight and mask,
    :math:`\sum [y = 1] \, w \, m` (1 when that is 0); ``'none'`` returns
    per-sample sums.

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
        **kwargs: ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.BaseLTLoss`).
    """

    logit_kind = 'sigmoid'

    def __init__(self,
                 alpha: float = 2.0,
                 beta: float = 4.0,
                 use_target_weight: bool = False,
                 use_sigmoid: bool = True,
                 eps: float = 1e-4,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if alpha < 0 or beta < 0:
            raise ValueError(f'alpha={alpha} and beta={beta} must be >= 0')
        if not 0 < eps < 0.5:
            raise ValueError(f'eps={eps} must be in (0, 0.5)')
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.use_target_weight = bool(use_target_weight)
        self.use_sigmoid = bool(use_sigmoid)
        self.eps = float(eps)

    def forward(self, cls_score: Tensor, label: Tensor,
                weight: Optional[Tensor] = None, *args,
                mask: Optional[Tensor] = None, **kwargs) -> Tensor:
        """MMPose's call ``(pred, target, target_weights, mask=)`` and
        MMPretrain's: ``weight`` is per-sample or per-keypoint by its shape
        (see the class); the rest is :meth:`BaseLTLoss.forward`."""
        target = self._target(label, cls_score)
        sample_weight, keep = self._split_weight(weight, cls_score, mask)
        return super().forward(cls_score, target, sample_weight, *args,
                               keep=keep, **kwargs)

    def per_sample_loss(self, logits: Tensor, label: Tensor,
                        keep: Optional[Tensor] = None) -> Tensor:
        loss = focal_heatmap_loss(logits, label, self.alpha, self.beta,
                                  self.use_sigmoid, self.eps)
        if keep is not None:
            loss = loss * keep
        return loss.flatten(1).sum(dim=1)

    def mean_denominator(self, logits: Tensor, label: Tensor,
                         avg_factor: Optional[float],
                         keep: Optional[Tensor] = None) -> Tensor:
        """``avg_factor`` when given, else MMPose's: the positives counted
        with their target weight and mask (1 when there are none)."""
        if avg_factor is not None:
            return avg_factor
        positives = (label == 1).to(logits.dtype)
        num_pos = (positives if keep is None else positives * keep).sum()
        return torch.where(num_pos > 0, num_pos, 1.0)

    @staticmethod
    def _target(label: Tensor, pred: Tensor) -> Tensor:
        """The heatmap target; ``N`` class indices become one-hot rows."""
        if pred.dim() < 2:
            raise ValueError(f'pred must be N x C or N x K x H x W, got '
                             f'shape {tuple(pred.shape)}')
        if label.dim() == 1 and pred.dim() == 2 and \
                not label.is_floating_point():
            label = F.one_hot(label.long(), pred.shape[1])
        if label.shape != pred.shape:
            raise ValueError(
                f'target of shape {tuple(label.shape)} must match pred '
                f'of shape {tuple(pred.shape)} (or be N class indices)')
        return label

    def _split_weight(self, weight: Optional[Tensor], pred: Tensor,
                      mask: Optional[Tensor]
                      ) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        """``(per-sample weight, what keeps each element)``: target weights
        (with ``use_target_weight``) times ``mask``, broadcastable to
        ``pred``, in the dtype the loss computes in."""
        dtype = upcast(pred).dtype
        keep = None if mask is None else mask.to(dtype)
        if weight is None or weight.shape == pred.shape[:1]:
            return weight, keep
        if weight.shape != pred.shape[:2]:
            raise ValueError(
                f'weight of shape {tuple(weight.shape)} must be per sample '
                f'{tuple(pred.shape[:1])} or per keypoint/class '
                f'{tuple(pred.shape[:2])}')
        if self.use_target_weight:
            target_weight = weight.to(dtype).reshape(
                weight.shape + (1, ) * (pred.dim() - 2))
            keep = target_weight if keep is None else target_weight * keep
        return None, keep
