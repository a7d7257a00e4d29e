from .check_finite_loss_hook import CheckFiniteLossHook
from .long_tail_context_hook import LongTailContextHook, check_num_classes

__all__ = ['CheckFiniteLossHook', 'LongTailContextHook', 'check_num_classes']
