"""mmlt: long-tailed and group-imbalanced image classification for MMPretrain.

Importing mmlt applies the compatibility fixes for the pinned stack (see
``mmlt.utils.compat``) and registers every mmlt module into MMPretrain's
registries (see ``mmlt.registry``).
"""
from .utils.compat import apply_compat_patches

apply_compat_patches()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'apply_compat_patches']
