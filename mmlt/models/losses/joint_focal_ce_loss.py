"""Weighted sum of softmax focal loss and cross-entropy."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import adjusted_cross_entropy
from .softmax_focal_loss import focal_modulator
from .utils import BaseLTLoss, reduce_loss_with_weight, split_label, upcast

__all__ = ['JointFocalCELoss', 'joint_focal_ce_loss']


def joint_focal_ce_loss(cls_score: Tensor,
                        label: Tensor,
                        gamma: float = 2.0,
                        focal_weight: float = 1.0,
                        ce_weight: float = 1.0) -> Tensor:
    r"""Per-sample ``focal_weight * FL + ce_weight * CE``.

    .. math::
        L = -\left(w_f (1 - p_t)^\gamma + w_{ce}\right) \log p_t

    Soft labels ``y``: :math:`-\sum_c y_c (w_f (1 - p_c)^\gamma + w_{ce})
    \log p_c`. One log-softmax serves both terms.
    """
    logits = upcast(cls_score)
    label, soft = split_label(label, logits)
    if soft:
        log_p = F.log_softmax(logits, dim=1)
        factor = focal_weight * focal_modulator(log_p, gamma) + ce_weight
        return -(label.to(log_p.dtype) * factor * log_p).sum(dim=1)
    log_pt = -adjusted_cross_entropy(logits, label)
    return -(focal_weight * focal_modulator(log_pt, gamma) +
             ce_weight) * log_pt


@MODELS.register_module()
class JointFocalCELoss(BaseLTLoss):
    r"""``focal_weight * FL + ce_weight * CE`` on the same logits.

    The focal term is the softmax focal loss of Lin et al., "Focal Loss for
    Dense Object Detection", ICCV 2017, Eq. 5 (see
    :class:`SoftmaxFocalLoss`); adding cross-entropy to it is what the
    Products-10K winning solution trained with. That solution's weights are
    not given in a source we could check, so both default to 1 (a plain
    sum): set them in the config. See :func:`joint_focal_ce_loss`. Soft
    labels (Mixup/CutMix) are supported.

    Args:
        gamma: Focusing parameter of the focal term (Lin et al.'s 2).
        focal_weight: Weight of the focal term.
        ce_weight: Weight of the cross-entropy term.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
    """

    def __init__(self,
                 gamma: float = 2.0,
                 focal_weight: float = 1.0,
                 ce_weight: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(reduction, loss_weight)
        if gamma < 0:
            raise ValueError(f'gamma={gamma} must be >= 0')
        if focal_weight < 0 or ce_weight < 0:
            raise ValueError(f'focal_weight={focal_weight} and ce_weight='
                             f'{ce_weight} must be >= 0')
        self.gamma = float(gamma)
        self.focal_weight = float(focal_weight)
        self.ce_weight = float(ce_weight)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        loss = joint_focal_ce_loss(cls_score, label, self.gamma,
                                   self.focal_weight, self.ce_weight)
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
