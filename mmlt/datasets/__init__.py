from .annotation_parsers import parse_annotation_file
from .base_lt_dataset import BaseLTDataset
from .digits_lt import DigitsLT
from .group_annotation_dataset import GroupAnnotationDataset
from .label_utils import (get_class_counts, get_classes, get_field,
                          get_group_ids, get_labels,
                          long_tail_context_from_dataset, zero_count_classes)
from .long_tail_dataset import LongTailDataset
from .lt_profiles import long_tail_counts, sample_long_tail_indices
from .samplers import *  # noqa: F401,F403
from .stratified_kfold_dataset import (StratifiedKFoldDataset,
                                       resolve_num_splits,
                                       stratified_fold_assignment)
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseLTDataset', 'DigitsLT', 'GroupAnnotationDataset', 'LongTailDataset',
    'get_labels', 'get_group_ids', 'get_field', 'get_class_counts',
    'get_classes', 'zero_count_classes', 'long_tail_context_from_dataset',
    'long_tail_counts', 'sample_long_tail_indices',
    'parse_annotation_file', 'StratifiedKFoldDataset', 'resolve_num_splits',
    'stratified_fold_assignment'
]
