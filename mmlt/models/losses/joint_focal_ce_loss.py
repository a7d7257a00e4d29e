"""Weighted sum of softmax focal loss and cross-entropy."""
from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss
from .softmax_focal_loss import softmax_focal_loss
from .utils import cross_entropy_per_sample, upcast

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
    \log p_c`.
    """
    logits = upcast(cls_score)
    return focal_weight * softmax_focal_loss(logits, label, gamma) + \
        ce_weight * cross_entropy_per_sample(logits, label)


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
        **kwargs: ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.BaseLTLoss`).
    """

    logit_kind = 'not_calibrated'
    logit_kind_how = 'adds a focal term, (1 − p)^γ times the cross-entropy'

    def __init__(self,
                 gamma: float = 2.0,
                 focal_weight: float = 1.0,
                 ce_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if gamma < 0:
            raise ValueError(f'gamma={gamma} must be >= 0')
        if focal_weight < 0 or ce_weight < 0:
            raise ValueError(f'focal_weight={focal_weight} and ce_weight='
                             f'{ce_weight} must be >= 0')
        self.gamma = float(gamma)
        self.focal_weight = float(focal_weight)
        self.ce_weight = float(ce_weight)

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        return joint_focal_ce_loss(logits, label, self.gamma,
                                   self.focal_weight, self.ce_weight)
