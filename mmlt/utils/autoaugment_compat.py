"""MMPretrain's ``AutoAugment`` with its ``hparams`` applied.

MMPretrain 1.2's ``AutoAugment.__init__`` merges ``hparams`` (e.g.
``pad_val``) into its policies, keeps the merged ones as ``self.policies``
(what its ``repr`` shows), and then builds the transforms from the policies
*before* the merge: ``hparams`` never reaches them. Its ``Rotate``, ``Shear``
and ``Translate`` therefore always pad with their own default 128, passed to
OpenCV as one number, so a colour image is padded with (128, 0, 0) rather
than grey, and ``hparams=dict(pad_val=0)`` does nothing. ``RandAugment``
builds from the merged policies and is right. The patched ``__init__`` builds
the transforms from the merged policies, as documented.
"""
import functools
from typing import Any, Callable, Optional

__all__ = ['patch_autoaugment_hparams']

_MARK = '__mmlt_hparams_patched__'


def patch_autoaugment_hparams() -> None:
    """Patch ``mmpretrain.datasets.transforms.AutoAugment`` (idempotent)."""
    from mmpretrain.datasets.transforms import AutoAugment
    original: Callable = AutoAugment.__init__
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def __init__(self: Any, policies: Any,
                 hparams: Optional[dict] = None) -> None:
        if hparams is None:  # MMPretrain's default
            hparams = dict(pad_val=128)
        # the first call validates the policies and merges the hparams; the
        # second builds the transforms from the merged policies (merging
        # again changes nothing: a key a policy sets is kept)
        original(self, policies, hparams)
        original(self, self.policies, hparams)

    setattr(__init__, _MARK, True)
    AutoAugment.__init__ = __init__
