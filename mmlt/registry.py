"""The one place that names the registries mmlt registers into.

mmlt registers straight into MMPretrain's registries (as upstream OpenMMLab
extension projects do), so that ``default_scope='mmpretrain'`` configs,
MMPretrain's own ``tools/train.py``, ``mmpretrain.get_model`` and the
inferencers all see mmlt's modules. Names must not collide with
MMPretrain's: a second registration under an existing name raises KeyError.
"""
from mmpretrain.registry import (DATA_SAMPLERS, DATASETS, HOOKS, METRICS,
                                 MODELS, OPTIM_WRAPPERS, TRANSFORMS)

__all__ = [
    'DATASETS', 'DATA_SAMPLERS', 'HOOKS', 'METRICS', 'MODELS',
    'OPTIM_WRAPPERS', 'TRANSFORMS'
]
