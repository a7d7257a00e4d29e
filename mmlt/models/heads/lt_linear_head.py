"""Linear classification head that gives its loss class counts and groups."""
import inspect
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS

__all__ = ['LTLinearClsHead', 'gather_group_ids']

# Extra keyword arguments a long-tail loss may accept from the head.
LOSS_CONTEXT_KEYS = ('class_counts', 'group_id', 'feats')


def gather_group_ids(data_samples: Sequence[DataSample],
                     device: torch.device) -> torch.Tensor:
    """Per-sample group ids as a long tensor (group 0 where absent).

    The data preprocessor moves only labels to the device, so group ids are
    moved here.
    """
    groups = []
    for sample in data_samples:
        g = sample.get('group_id', 0)
        groups.append(int(g.item() if isinstance(g, torch.Tensor) else g))
    return torch.tensor(groups, dtype=torch.long, device=device)


def accepted_loss_kwargs(loss_module: torch.nn.Module) -> frozenset:
    """Which of ``LOSS_CONTEXT_KEYS`` the loss's ``forward`` accepts."""
    params = inspect.signature(loss_module.forward).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return frozenset(LOSS_CONTEXT_KEYS)
    return frozenset(k for k in LOSS_CONTEXT_KEYS if k in params)


@MODELS.register_module()
class LTLinearClsHead(LinearClsHead):
    """MMPretrain's ``LinearClsHead`` for long-tailed training.

    Its loss may take, besides MMPretrain's arguments, any of
    ``class_counts`` (training images per class, a long tensor of length
    ``num_classes``), ``group_id`` (a long tensor with each sample's group)
    and ``feats`` (the classifier's input ``h``). The head passes exactly
    those the loss's ``forward`` names, so MMPretrain's own losses work
    unchanged.

    The counts live in the ``class_counts`` buffer, so they are saved in
    checkpoints. They are filled from the training set when training starts
    by :class:`mmlt.engine.LongTailContextHook`; a loss that needs them
    before that raises an error rather than training on zeros.

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the input feature.
        **kwargs: ``loss``, ``topk``, ``cal_acc``, ``init_cfg`` as in
            ``LinearClsHead``.
    """

    def __init__(self, num_classes: int, in_channels: int, **kwargs) -> None:
        super().__init__(
            num_classes=num_classes, in_channels=in_channels, **kwargs)
        self.register_buffer(
            'class_counts', torch.zeros(num_classes, dtype=torch.long))
        self._loss_kwargs = accepted_loss_kwargs(self.loss_module)

    @property
    def class_counts_known(self) -> bool:
        return bool(self.class_counts.sum() > 0)

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Set the training set's images per class (validated)."""
        counts = np.asarray(counts)
        if counts.ndim != 1 or len(counts) != self.num_classes:
            raise ValueError(
                f'{type(self).__name__} has num_classes={self.num_classes} '
                f'but got class counts for {counts.size} classes')
        if (counts < 0).any() or not np.issubdtype(counts.dtype, np.integer):
            raise ValueError(f'class counts must be non-negative integers, '
                             f'got {counts.tolist()}')
        self.class_counts.copy_(torch.as_tensor(counts, dtype=torch.long))

    def loss(self, feats, data_samples: List[DataSample], **kwargs) -> dict:
        pre_logits = self.pre_logits(feats)
        cls_score = self.fc(pre_logits)
        if 'feats' in self._loss_kwargs:
            kwargs['feats'] = pre_logits
        return self._get_loss(cls_score, data_samples, **kwargs)

    def _get_loss(self, cls_score: torch.Tensor,
                  data_samples: List[DataSample], **kwargs) -> dict:
        if 'class_counts' in self._loss_kwargs:
            if not self.class_counts_known:
                raise RuntimeError(
                    f'{type(self.loss_module).__name__} needs the training '
                    'class counts, which were never set: add '
                    "dict(type='LongTailContextHook') to custom_hooks (mmlt's "
                    'base runtime config has it) or call '
                    'head.set_class_counts()')
            kwargs['class_counts'] = self.class_counts
        if 'group_id' in self._loss_kwargs:
            kwargs['group_id'] = gather_group_ids(data_samples,
                                                  cls_score.device)
        return super()._get_loss(cls_score, data_samples, **kwargs)


def find_head(model: torch.nn.Module) -> Optional[torch.nn.Module]:
    """The classification head of a (possibly DDP-wrapped) classifier."""
    from mmengine.model import is_model_wrapper
    if is_model_wrapper(model):
        model = model.module
    return getattr(model, 'head', None)
