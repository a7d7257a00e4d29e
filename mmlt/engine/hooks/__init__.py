from .batch_augment_off_hook import BatchAugmentOffHook, batch_augments_on
from .channels_last_hook import ChannelsLastHook
from .check_finite_loss_hook import CheckFiniteLossHook
from .classifier_retrain_hook import ClassifierRetrainHook
from .deferred_resampling_hook import DeferredResamplingHook
from .deferred_reweighting_hook import (DeferredReweightingHook,
                                        drw_class_weight)
from .group_weight_curriculum_hook import (GroupWeightCurriculumHook,
                                           parse_schedule, piecewise_value)
from .ib_warm_start_hook import IBWarmStartHook, ib_active
from .load_from_check_hook import (LoadFromCheckHook, LoadMismatch,
                                   compare_state_dicts)
from .long_tail_context_hook import LongTailContextHook, check_num_classes
from .max_norm_hook import (MaxNormHook, max_norm_threshold,
                            project_max_norm_)
from .schedule_utils import resolve_epoch
from .swa_hook import (SWAHook, recompute_bn_statistics, swa_anneal_factor,
                       swa_updates_after)
from .world_size_check_hook import WorldSizeCheckHook, world_size_change

__all__ = [
    'BatchAugmentOffHook', 'ChannelsLastHook', 'CheckFiniteLossHook',
    'DeferredResamplingHook',
    'DeferredReweightingHook', 'GroupWeightCurriculumHook',
    'IBWarmStartHook', 'LongTailContextHook', 'batch_augments_on',
    'check_num_classes', 'drw_class_weight', 'ib_active', 'parse_schedule',
    'piecewise_value', 'resolve_epoch', 'ClassifierRetrainHook',
    'LoadFromCheckHook', 'LoadMismatch', 'compare_state_dicts',
    'MaxNormHook', 'max_norm_threshold', 'project_max_norm_', 'SWAHook',
    'recompute_bn_statistics', 'swa_anneal_factor', 'swa_updates_after',
    'WorldSizeCheckHook', 'world_size_change'
]
