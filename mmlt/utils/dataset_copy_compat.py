"""A fresh deepcopy memo for every ``BaseDataset.get_subset`` copy.

MMEngine 0.10.7's ``BaseDataset._copy_without_annotation(self,
memo=dict())`` shares one default ``memo`` dict across all calls. It stores
``memo[id(self)] = copy`` without keeping ``self`` alive, so once a dataset
that was copied is freed, a new object that Python gives the same ``id``
(a transform of a later pipeline, say) is "copied" as that old dataset:
a pipeline of a later subset then holds a dataset object and fails with
"'GroupAnnotationDataset' object is not callable" — seen, intermittently,
when the k-fold driver takes several folds' subsets in one process. The
patched method gives each call its own memo, as ``copy.deepcopy`` does.
"""
import functools
from typing import Any, Callable, Optional

__all__ = ['patch_dataset_copy']

_MARK = '__mmlt_fresh_memo_patched__'


def patch_dataset_copy() -> None:
    """Patch ``mmengine.dataset.BaseDataset`` (idempotent)."""
    from mmengine.dataset import BaseDataset
    original: Callable = BaseDataset._copy_without_annotation
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def _copy_without_annotation(self: Any,
                                 memo: Optional[dict] = None) -> Any:
        return original(self, {} if memo is None else memo)

    setattr(_copy_without_annotation, _MARK, True)
    BaseDataset._copy_without_annotation = _copy_without_annotation
