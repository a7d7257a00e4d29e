"""Contracts of the per-sample fields mmlt adds to MMPretrain's DataSample
(as ``mmpretrain.structures`` holds DataSample and its field helpers), the
long-tail context of a training set and its shot bins: pure data, importing
nothing else of mmlt."""
from .group_id import (ANNOTATE_GROUP_ID, PACK_GROUP_ID, GroupIdError,
                       gather_group_ids, has_group_id, parse_group_key,
                       parse_group_weight, read_group_id, read_group_ids,
                       read_optional_group_ids, to_group_id)
from .long_tail_context import (LongTailContext, check_counts, hand_over,
                                pipelines_of)
from .shot_bins import (FEW_SHOT_THR, MANY_SHOT_THR, SHOT_NAMES, class_shots,
                        shot_masks)

__all__ = [
    'GroupIdError', 'PACK_GROUP_ID', 'ANNOTATE_GROUP_ID', 'has_group_id',
    'to_group_id', 'read_group_ids', 'read_group_id', 'gather_group_ids',
    'read_optional_group_ids', 'parse_group_key', 'parse_group_weight',
    'LongTailContext', 'check_counts', 'hand_over', 'pipelines_of',
    'SHOT_NAMES', 'MANY_SHOT_THR', 'FEW_SHOT_THR', 'shot_masks', 'class_shots'
]
