from .cli import (merge_test_args, merge_train_args, test_arg_parser,
                  train_arg_parser)
from .dist import prepare_cpu_distributed

__all__ = [
    'merge_train_args', 'merge_test_args', 'train_arg_parser',
    'test_arg_parser', 'prepare_cpu_distributed'
]
