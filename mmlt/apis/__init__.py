from .cli import (merge_test_args, merge_train_args, build_test_parser,
                  build_train_parser)
from .dist import prepare_cpu_distributed

__all__ = [
    'merge_train_args', 'merge_test_args', 'build_train_parser',
    'build_test_parser', 'prepare_cpu_distributed'
]
