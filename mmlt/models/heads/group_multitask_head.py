"""Multi-task head: the class head plus a classifier of each sample's group."""
import math
from typing import Dict, List, Optional, Tuple

import torch
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from mmlt.registry import MODELS
from mmlt.structures import gather_group_ids
from .wrapped_head import HeadLike, MainHeadWrapper, check_feature

__all__ = ['GroupMultiTaskHead', 'group_targets']


def group_targets(data_samples: List[DataSample], num_groups: int,
                  device: torch.device) -> Tensor:
    """Each sample's ``group_id`` as a long tensor, checked.

    Read by :func:`mmlt.structures.gather_group_ids`: a group classifier
    needs every sample's group, so a missing one is an error, not group 0.

    Raises:
        GroupIdError: A sample without ``group_id`` or with one that is not
            an integer >= 0 (a ``ValueError``).
        ValueError: A group id outside ``[0, num_groups)``; the value and
            the sample are named.
    """
    target = gather_group_ids(data_samples, 'GroupMultiTaskHead', device)
    outside = (target >= num_groups).nonzero().flatten()
    if outside.numel():
        i = int(outside[0])
        raise ValueError(
            f'sample {i}: group_id {int(target[i])} is outside [0, '
            f'num_groups={num_groups}); set num_groups to the number of '
            'groups of the data (group ids 0, 1, ..., num_groups - 1)')
    return target


@MODELS.register_module()
class GroupMultiTaskHead(MainHeadWrapper):
    r"""The class head plus an auxiliary classifier predicting the group.

    Multi-task learning (Caruana, "Multitask Learning", Machine Learning
    1997): a linear classifier predicts each sample's ``group_id`` (e.g. a
    domain, an acquisition site, a sub-population) from the same feature
    the main head classifies: the last feature of the backbone (and neck),
    before anything the main head does to it (e.g. a BNNeck). The training
    loss is

    .. math::
        L = L_{class} + \lambda_g L_{group}

    logged as the main head's keys (``loss``, ...) and ``loss_group``.
    ``predict`` returns the main head's predictions and stores in each
    sample ``pred_group_score`` (softmax over the groups, shape
    ``(num_groups,)``) and ``pred_group_label`` (its argmax, shape ``(1,)``);
    ``LongTailMetric`` then reports ``group_head_accuracy``.

    Group ids must be packed (``PackInputs(algorithm_keys=['group_id'])``)
    and lie in ``[0, num_groups)``: anything else raises a ``ValueError``
    naming the value.

    Args:
        head: The main (class) head config or module.
        num_groups: Number of groups (>= 2).
        group_loss_weight: :math:`\lambda_g`. 1.0 is the unweighted sum of
            the task losses of Caruana's multi-task learning.
        group_loss: Loss of the group classifier (MMPretrain's
            cross-entropy by default).
        in_channels: Channels of the shared feature; None takes the main
            head's ``in_channels``.
        init_cfg: As mmengine's ``BaseModule``.
    """

    def __init__(self,
                 head: HeadLike,
                 num_groups: int,
                 group_loss_weight: float = 1.0,
                 group_loss: dict = dict(
                     type='CrossEntropyLoss', loss_weight=1.0),
                 in_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(head, init_cfg=init_cfg)
        if isinstance(num_groups, bool) or not isinstance(num_groups, int) \
                or num_groups < 2:
            raise ValueError(f'num_groups={num_groups!r} must be an int >= 2')
        if isinstance(group_loss_weight, bool) or not isinstance(
                group_loss_weight, (int, float)) or \
                not math.isfinite(group_loss_weight) or group_loss_weight < 0:
            raise ValueError(f'group_loss_weight={group_loss_weight!r} must '
                             'be a finite number >= 0')
        if in_channels is None:
            in_channels = getattr(self.main_head, 'in_channels', None)
            if in_channels is None:
                raise ValueError(
                    f'the main head {type(self.main_head).__name__} has no '
                    'in_channels: give in_channels= to GroupMultiTaskHead')
        if isinstance(in_channels, bool) or not isinstance(in_channels, int) \
                or in_channels < 1:
            raise ValueError(f'in_channels={in_channels!r} must be a '
                             'positive int')
        self.num_groups = num_groups
        self.group_loss_weight = float(group_loss_weight)
        self.in_channels = in_channels
        self.group_fc = nn.Linear(in_channels, num_groups)
        self.group_loss_module = group_loss if isinstance(
            group_loss, nn.Module) else MODELS.build(group_loss)

    def group_scores(self, feats: Tuple[Tensor]) -> Tensor:
        """Group logits ``(N, num_groups)`` from the shared feature."""
        x = check_feature(feats, -1, self.in_channels, type(self).__name__)
        return self.group_fc(x)

    def loss(self, feats: Tuple[Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        """The main head's losses and ``loss_group``."""
        group_score = self.group_scores(feats)
        target = group_targets(data_samples, self.num_groups,
                               group_score.device)
        losses = dict(self.main_head.loss(feats, data_samples, **kwargs))
        losses['loss_group'] = self.group_loss_weight * \
            self.group_loss_module(
                group_score, target, avg_factor=group_score.size(0))
        return losses

    def predict(self,
                feats: Tuple[Tensor],
                data_samples: Optional[List[Optional[DataSample]]] = None,
                **kwargs) -> List[DataSample]:
        """The main head's predictions with ``pred_group_score`` and
        ``pred_group_label`` added to each sample."""
        predictions = self.main_head.predict(feats, data_samples, **kwargs)
        group_prob = torch.softmax(self.group_scores(feats), dim=1).detach()
        group_label = group_prob.argmax(dim=1, keepdim=True)
        for sample, prob, label in zip(predictions, group_prob, group_label):
            sample.set_field(prob, 'pred_group_score', dtype=torch.Tensor)
            sample.set_field(label, 'pred_group_label', dtype=torch.Tensor)
        return predictions
