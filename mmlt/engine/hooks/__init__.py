from .check_finite_loss_hook import CheckFiniteLossHook
from .deferred_resampling_hook import DeferredResamplingHook
from .long_tail_context_hook import LongTailContextHook, check_num_classes

__all__ = [
    'CheckFiniteLossHook', 'DeferredResamplingHook', 'LongTailContextHook',
    'check_num_classes'
]
