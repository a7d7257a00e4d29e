"""A head that wraps a main classification head and adds training outputs.

:class:`DeepSupervisionHead` and :class:`GroupMultiTaskHead` train extra
classifiers next to a main head but predict with the main head. mmlt's
hooks (``LongTailContextHook``, DRW, IB warm start, the group-weight
curriculum) reach the head through ``find_head(model)``, i.e. ``model.head``;
this base answers them as the main head would, so they need no change:

* ``num_classes``, ``class_counts``, ``class_counts_known``,
  ``loss_module`` and ``group_weight`` are the main head's;
* ``set_class_counts`` and ``set_group_weight`` go to the main head and to
  every auxiliary head that has them (so auxiliary losses that need class
  counts get them too).

Schedule hooks that change the loss itself (``DeferredReweightingHook``,
``IBWarmStartHook``) act on the main head's ``loss_module`` only.
Prediction options (``logit_adjust_tau``, ``tau_norm``) are the main head's;
it checks ``logit_adjust_tau`` against its own loss when it is built, and
``DeferredReweightingHook`` reads it from ``main_head``.

The export helpers turn a wrapper's model config and checkpoint into those of
the main head alone (see :func:`main_head_config` and
:func:`strip_auxiliary_heads`).
"""
import copy
from collections import OrderedDict
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from mmengine.model import BaseModule
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from mmlt.registry import MODELS

__all__ = [
    'MainHeadWrapper', 'main_head_config', 'strip_auxiliary_heads'
]

HeadLike = Union[dict, nn.Module]


class MainHeadWrapper(BaseModule):
    """Base of heads that add training-only outputs to a main head.

    Subclasses register their extra heads and list those that take class
    counts and group weights in :meth:`auxiliary_heads`.

    Args:
        head: The main head (a config or a module), e.g.
            ``dict(type='LTLinearClsHead', ...)``; it needs ``num_classes``.
        init_cfg: As mmengine's ``BaseModule``.
    """

    def __init__(self, head: HeadLike,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(head, Mapping):
            head = MODELS.build(dict(head))
        if not isinstance(head, nn.Module):
            raise TypeError(f'head must be a head config dict or module, got '
                            f'{type(head).__name__}')
        if getattr(head, 'num_classes', None) is None:
            raise TypeError(f'the main head {type(head).__name__} has no '
                            'num_classes: use a classification head such as '
                            'LTLinearClsHead')
        self.main_head = head

    def auxiliary_heads(self) -> List[nn.Module]:
        """Heads besides the main one that take class counts and group
        weights (none here)."""
        return []

    # -- what hooks ask the head (answered as the main head would) --
    @property
    def num_classes(self) -> int:
        return self.main_head.num_classes

    @property
    def class_counts(self) -> Tensor:
        return self.main_head.class_counts

    @property
    def class_counts_known(self) -> bool:
        return bool(getattr(self.main_head, 'class_counts_known', False))

    @property
    def loss_module(self) -> nn.Module:
        """The main head's loss (read-only: assign it on ``main_head``)."""
        return self.main_head.loss_module

    @property
    def group_weight(self) -> Optional[dict]:
        return getattr(self.main_head, 'group_weight', None)

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Set the training images per class on every head that keeps
        them."""
        for head in [self.main_head] + self.auxiliary_heads():
            if hasattr(head, 'set_class_counts'):
                head.set_class_counts(counts)

    def set_long_tail_context(self, context) -> None:
        """Take the training set's long-tail context (its class counts go to
        every head that keeps them)."""
        self.set_class_counts(context.class_counts)

    def set_group_weight(self, group_weight: Optional[Mapping[int, float]]
                         ) -> None:
        """Set the per-group loss weights of the main head and of every
        auxiliary head that has them."""
        if not hasattr(self.main_head, 'set_group_weight'):
            raise TypeError(
                f'{type(self).__name__}: the main head '
                f'{type(self.main_head).__name__} has no group weights; use '
                "mmlt's LTLinearClsHead (or a subclass)")
        for head in [self.main_head] + self.auxiliary_heads():
            if hasattr(head, 'set_group_weight'):
                head.set_group_weight(group_weight)

    # -- inference: the main head only --
    def pre_logits(self, feats: Tuple[Tensor]) -> Tensor:
        return self.main_head.pre_logits(feats)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        return self.main_head(feats)

    def predict(self,
                feats: Tuple[Tensor],
                data_samples: Optional[List[Optional[DataSample]]] = None,
                **kwargs) -> List[DataSample]:
        return self.main_head.predict(feats, data_samples, **kwargs)


def _registered_class(type_: Any) -> Optional[type]:
    if isinstance(type_, type):
        return type_
    if isinstance(type_, str):
        return MODELS.get(type_)
    return None


def main_head_config(model_cfg: Mapping) -> dict:
    """A copy of ``model_cfg`` whose head is the wrapper's main head.

    The backbone (and its ``out_indices``) stay as they are, so the exported
    checkpoint loads strictly; a main head reads the last feature of the
    tuple as before. A config whose head is no :class:`MainHeadWrapper` is
    returned unchanged (copied).
    """
    cfg = copy.deepcopy(dict(model_cfg))
    head = cfg.get('head')
    if head is None:
        raise ValueError('model config has no head to export')
    cls = _registered_class(head.get('type'))
    if cls is None:
        raise ValueError(f'unknown head type {head.get("type")!r}')
    if issubclass(cls, MainHeadWrapper):
        cfg['head'] = copy.deepcopy(dict(head['head']))
    return cfg


def strip_auxiliary_heads(state_dict: Mapping[str, Any],
                          prefix: str = 'head.') -> 'OrderedDict[str, Any]':
    """The state dict of the main path: ``{prefix}main_head.*`` becomes
    ``{prefix}*`` and every other ``{prefix}*`` entry (auxiliary classifiers,
    the group classifier) is dropped; the rest (backbone, neck, data
    preprocessor) is kept.

    Raises:
        ValueError: If no key starts with ``{prefix}main_head.`` (not the
            checkpoint of a wrapper head).
    """
    main = f'{prefix}main_head.'
    if not any(k.startswith(main) for k in state_dict):
        raise ValueError(f'no key starts with {main!r}: not the checkpoint '
                         'of a DeepSupervisionHead / GroupMultiTaskHead model')
    out: 'OrderedDict[str, Any]' = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(main):
            out[prefix + key[len(main):]] = value
        elif not key.startswith(prefix):
            out[key] = value
    return out


def check_feature(feats: Sequence[Tensor], index: int, channels: int,
                  what: str) -> Tensor:
    """``feats[index]`` checked to be a pooled ``(N, channels)`` feature."""
    if not isinstance(feats, (tuple, list)):
        raise TypeError(f'{what}: expected the tuple of features of the '
                        f'backbone (and neck), got {type(feats).__name__}')
    if not -len(feats) <= index < len(feats):
        raise ValueError(
            f'{what}: feature {index} was asked for but the backbone (and '
            f'neck) gave {len(feats)} feature(s); set the backbone\'s '
            'out_indices to return every stage used, e.g. (0, 1, 2, 3)')
    x = feats[index]
    if x.dim() != 2:
        raise ValueError(
            f'{what}: feature {index} has shape {tuple(x.shape)}, expected '
            f'(N, {channels}); pool it: ConvNeXt does with '
            'gap_before_final_norm=True, other backbones need '
            "neck=dict(type='GlobalAveragePooling')")
    if x.shape[1] != channels:
        raise ValueError(
            f'{what}: feature {index} has {x.shape[1]} channels but '
            f'{channels} were configured')
    return x

