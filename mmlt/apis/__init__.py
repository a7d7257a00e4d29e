from .cli import (merge_test_args, merge_train_args, build_test_parser,
                  build_train_parser)
from .dist import prepare_cpu_distributed
from .kfold import build_kfold_parser, kfold_train
from .kfold_plan import plan_kfold
from .tau_norm_search import search_taus, tau_norm_checkpoint, tau_norm_search

__all__ = [
    'merge_train_args', 'merge_test_args', 'build_train_parser',
    'build_test_parser', 'prepare_cpu_distributed', 'search_taus',
    'tau_norm_checkpoint', 'tau_norm_search', 'kfold_train', 'plan_kfold',
    'build_kfold_parser'
]
