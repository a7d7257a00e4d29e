"""Deep supervision: auxiliary classifiers on intermediate backbone stages."""
import copy
import math
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from mmpretrain.structures import DataSample
from torch import Tensor, nn

from mmlt.registry import MODELS
from .wrapped_head import HeadLike, MainHeadWrapper, check_feature

__all__ = ['DeepSupervisionHead', 'AUX_LOSS_WEIGHT']

# Weight of each auxiliary classifier's loss: GoogLeNet's (Szegedy et al.,
# "Going Deeper with Convolutions", CVPR 2015, Sec. 5: "the losses of the
# auxiliary classifiers were weighted by 0.3").
AUX_LOSS_WEIGHT = 0.3


@MODELS.register_module()
class DeepSupervisionHead(MainHeadWrapper):
    r"""A main head plus auxiliary classifiers on earlier stages.

    Deep supervision (Lee et al., "Deeply-Supervised Nets", AISTATS 2015;
    the auxiliary classifiers of GoogLeNet, Szegedy et al., CVPR 2015): the
    backbone returns several stages (``out_indices``), each pooled to
    ``(N, C_i)`` (ConvNeXt pools them itself with its default
    ``gap_before_final_norm=True``; other backbones need MMPretrain's
    ``GlobalAveragePooling`` neck, which pools each feature of the tuple).
    The main head takes the tuple (and classifies its last feature); an
    auxiliary classifier is trained on each feature listed in ``aux_stages``.
    The training loss is

    .. math::
        L = w_0 L_{main} + \sum_i w_i L_{aux, i}

    logged as ``loss`` (the main head's, times ``w_0``) and
    ``loss_aux_stage{i}`` (times ``w_i``); mmengine sums every logged key
    that contains ``loss``. ``predict``, ``forward`` and ``pre_logits`` use
    the main head only; :func:`~mmlt.models.heads.strip_auxiliary_heads`
    and :func:`~mmlt.models.heads.main_head_config` (or
    ``tools/model_converters/export_main_head.py``) export the main path
    alone.

    The auxiliary classifiers get the class counts and group weights as the
    main head does (``LongTailContextHook``, ``GroupWeightCurriculumHook``);
    hooks that change the loss (DRW, IB warm start) change the main head's
    only.

    Args:
        head: The main head config (or module), e.g.
            ``dict(type='LTLinearClsHead', num_classes=10, in_channels=320,
            loss=...)``.
        aux_stages: Positions in the backbone's (and neck's) feature tuple
            of the features to supervise; with ``out_indices=(0, 1, 2, 3)``
            they are the stage numbers. Distinct, non-negative.
        aux_in_channels: Channels of each of those features (ConvNeXt-atto:
            40, 80, 160 for stages 0-2).
        loss_weights: ``[w_0, w_1, ...]``: the main head's weight first,
            then one per auxiliary stage. None gives ``1.0`` for the main
            head and :data:`AUX_LOSS_WEIGHT` (0.3, GoogLeNet) for each
            auxiliary classifier.
        aux_head: Config of each auxiliary classifier, built with
            ``num_classes`` and that stage's ``in_channels`` filled in. None
            copies the main head's config (same classifier type and loss),
            so that, e.g., a cosine head with LDAM gets cosine auxiliary
            classifiers with LDAM.
        init_cfg: As mmengine's ``BaseModule``.
    """

    def __init__(self,
                 head: HeadLike,
                 aux_stages: Sequence[int],
                 aux_in_channels: Sequence[int],
                 loss_weights: Optional[Sequence[float]] = None,
                 aux_head: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(head, init_cfg=init_cfg)
        self.aux_stages = _check_stages(aux_stages)
        self.aux_in_channels = _check_channels(aux_in_channels,
                                               len(self.aux_stages))
        if loss_weights is None:
            loss_weights = [1.0] + [AUX_LOSS_WEIGHT] * len(self.aux_stages)
        self.loss_weights = _check_loss_weights(loss_weights,
                                                len(self.aux_stages))
        template = self._aux_template(head, aux_head)
        heads = []
        for channels in self.aux_in_channels:
            cfg = copy.deepcopy(template)
            cfg.update(num_classes=self.num_classes, in_channels=channels)
            heads.append(MODELS.build(cfg))
        self.aux_heads = nn.ModuleList(heads)
        # the main head's group weights apply to every classifier
        if self.group_weight is not None:
            self.set_group_weight(self.group_weight)

    @staticmethod
    def _aux_template(head: HeadLike, aux_head: Optional[dict]) -> dict:
        if aux_head is not None:
            if not isinstance(aux_head, Mapping):
                raise TypeError(f'aux_head must be a head config dict, got '
                                f'{type(aux_head).__name__}')
            return dict(aux_head)
        if not isinstance(head, Mapping):
            raise ValueError('aux_head must be given when the main head is a '
                             'module (its config is not known)')
        return dict(head)

    def auxiliary_heads(self) -> List[nn.Module]:
        return list(self.aux_heads)

    def loss(self, feats: Tuple[Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        """The main head's losses times ``loss_weights[0]`` (its other
        outputs, e.g. training accuracy, unscaled) and
        ``loss_aux_stage{i}``."""
        aux_feats = [
            check_feature(feats, stage, channels, type(self).__name__)
            for stage, channels in zip(self.aux_stages, self.aux_in_channels)
        ]
        main_weight = self.loss_weights[0]
        losses = {
            key: main_weight * value if 'loss' in key else value
            for key, value in self.main_head.loss(feats, data_samples,
                                                  **kwargs).items()
        }
        for stage, x, aux, weight in zip(self.aux_stages, aux_feats,
                                         self.aux_heads,
                                         self.loss_weights[1:]):
            aux_losses = aux.loss((x, ), data_samples, **kwargs)
            losses[f'loss_aux_stage{stage}'] = weight * sum(
                v for k, v in aux_losses.items() if 'loss' in k)
        return losses


def _check_stages(stages: Sequence[int]) -> List[int]:
    if isinstance(stages, (int, str)) or not isinstance(stages, Sequence) \
            or not stages:
        raise ValueError(f'aux_stages={stages!r} must be a non-empty list of '
                         'feature positions')
    for stage in stages:
        if isinstance(stage, bool) or not isinstance(stage, int) or \
                stage < 0:
            raise ValueError(f'aux_stages entry {stage!r} must be a '
                             'non-negative int feature position')
    if len(set(stages)) != len(stages):
        raise ValueError(f'aux_stages={list(stages)} repeats a stage')
    return [int(s) for s in stages]


def _check_channels(channels: Sequence[int], num: int) -> List[int]:
    if isinstance(channels, (int, str)) or \
            not isinstance(channels, Sequence) or len(channels) != num:
        raise ValueError(f'aux_in_channels={channels!r} must list one '
                         f'channel count per aux stage ({num})')
    for c in channels:
        if isinstance(c, bool) or not isinstance(c, int) or c < 1:
            raise ValueError(f'aux_in_channels entry {c!r} must be a '
                             'positive int')
    return [int(c) for c in channels]


def _check_loss_weights(weights: Sequence[float], num_aux: int
                        ) -> List[float]:
    if isinstance(weights, (int, float, str)) or \
            not isinstance(weights, Sequence) or len(weights) != num_aux + 1:
        raise ValueError(
            f'loss_weights={weights!r} must hold {num_aux + 1} numbers: the '
            f'main head\'s first, then one per aux stage')
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, (int, float)) or \
                not math.isfinite(w) or w < 0:
            raise ValueError(f'loss_weights entry {w!r} must be a finite '
                             'number >= 0')
    return [float(w) for w in weights]
