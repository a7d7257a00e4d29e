"""mmlt: long-tailed and group-imbalanced image classification for MMPretrain.

Importing mmlt applies the compatibility fixes for the pinned stack (see
``mmlt.utils.compat``) and registers every mmlt module into MMPretrain's
registries (see ``mmlt.registry``).
"""
import warnings

# mmcv-lite ships no compiled ops, so mmcv.cnn (imported by MMPretrain) warns
# on import that MultiScaleDeformableAttention, which no classifier here
# uses, is missing. Exactly that warning is ignored, before the import that
# raises it; every other warning is shown as usual.
warnings.filterwarnings(
    'ignore',
    message=r'Fail to import ``MultiScaleDeformableAttention``',
    category=UserWarning,
    module=r'mmcv\.cnn\.bricks\.transformer')

from .utils.compat import apply_compat_patches  # noqa: E402

apply_compat_patches()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'apply_compat_patches']
