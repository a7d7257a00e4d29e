"""Balanced softmax cross-entropy (Ren et al., NeurIPS 2020)."""
from typing import Dict

import torch
from torch import Tensor

from mmlt.registry import MODELS
from .logit_adjusted_loss import LogitAdjustedLoss

__all__ = ['BalancedSoftmaxLoss']


@MODELS.register_module()
class BalancedSoftmaxLoss(LogitAdjustedLoss):
    r"""Balanced softmax (Ren et al., "Balanced Meta-Softmax for Long-Tailed
    Visual Recognition", NeurIPS 2020).

    .. math::
        L = -\log \frac{n_y e^{z_y}}{\sum_j n_j e^{z_j}}

    i.e. cross-entropy of ``z + log n`` (see
    :func:`~mmlt.models.losses.logit_adjusted_loss.logit_adjusted_loss`);
    prediction uses the raw logits. It has no hyper-parameter and equals
    :class:`LogitAdjustedLoss` with ``tau=1``. Equal class counts give
    cross-entropy. Soft labels (Mixup/CutMix) are supported.

    Args:
        **kwargs: As :class:`LogitAdjustedLoss` but ``tau``
            (``class_weight``, ``class_weight_norm``, ``class_counts``,
            ``reduction``, ``loss_weight``).
    """

    logit_kind = 'uses_prior'
    logit_kind_how = 'trains on z + log π (balanced softmax)'

    def __init__(self, **kwargs) -> None:
        super().__init__(tau=1.0, **kwargs)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(offset=torch.log(counts))
