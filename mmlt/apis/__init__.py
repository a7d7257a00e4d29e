from .dist import close_distributed, prepare_cpu_distributed
from .exported_inferencer import ExportedInferencer
from .kfold import kfold_train
from .kfold_plan import plan_kfold
from .merge_args import merge_test_args, merge_train_args
from .tau_norm_search import search_taus, tau_norm_checkpoint, tau_norm_search

__all__ = [
    'merge_train_args', 'merge_test_args', 'prepare_cpu_distributed',
    'close_distributed',
    'search_taus', 'tau_norm_checkpoint', 'tau_norm_search', 'kfold_train',
    'plan_kfold', 'ExportedInferencer'
]
