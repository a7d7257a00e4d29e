"""Every get_subset copy gets a fresh deepcopy memo (MMEngine shares one
default memo, so a freed dataset's id could turn a later transform into
that dataset)."""
import mmlt  # noqa: F401  (applies the patch)
from mmengine.dataset import BaseDataset


class _Tiny(BaseDataset):

    def load_data_list(self):
        return [dict(x=i) for i in range(4)]


class _Marker:
    pass


def test_each_copy_has_its_own_memo():
    ds = _Tiny(pipeline=[])
    ds.extra = _Marker()
    first = ds._copy_without_annotation()
    second = ds._copy_without_annotation()
    assert first is not second
    # with MMEngine's shared default memo the second copy got the first
    # copy's attributes back (and any object reusing a freed id did too)
    assert first.extra is not second.extra
