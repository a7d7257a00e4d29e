"""The pkg_resources shim stands in for setuptools >= 82 (no pkg_resources)."""
import importlib
import importlib.abc
import importlib.metadata
import importlib.util
import os.path as osp
import sys

import pytest

from mmlt.utils.pkg_resources_shim import (Distribution, DistributionNotFound,
                                           install_pkg_resources_shim, is_shim)


class _Blocker(importlib.abc.MetaPathFinder):
    """Makes ``import pkg_resources`` fail like it does without it."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == 'pkg_resources':
            raise ModuleNotFoundError("No module named 'pkg_resources'")
        return None


@pytest.fixture(params=['sys_modules_none', 'meta_path_blocker'])
def without_pkg_resources(request, monkeypatch):
    """Hide the real pkg_resources; monkeypatch restores everything."""
    monkeypatch.setattr(sys, 'meta_path', list(sys.meta_path))
    # setitem records the original entry (or its absence) for the undo.
    monkeypatch.setitem(sys.modules, 'pkg_resources', None)
    if request.param == 'meta_path_blocker':
        del sys.modules['pkg_resources']
        sys.meta_path.insert(0, _Blocker())
    with pytest.raises(ImportError):
        import pkg_resources  # noqa: F401
    yield
    # monkeypatch puts back sys.meta_path and sys.modules['pkg_resources']


def test_shim_provides_what_mmengine_uses(without_pkg_resources):
    assert install_pkg_resources_shim() is True
    assert install_pkg_resources_shim() is True  # idempotent
    import pkg_resources
    assert is_shim(pkg_resources)
    dist = pkg_resources.get_distribution('mmpretrain')
    assert isinstance(dist, Distribution)
    assert dist.version == importlib.metadata.version('mmpretrain')
    assert osp.isdir(osp.join(dist.location, 'mmpretrain'))
    assert dist.has_metadata('METADATA')
    assert not dist.has_metadata('no-such-file.txt')
    assert pkg_resources.get_distribution('mmpretrain>=1.0').version \
        == dist.version
    with pytest.raises(pkg_resources.DistributionNotFound):
        pkg_resources.get_distribution('no-such-distribution-mmlt')
    with pytest.raises(AttributeError, match='setuptools<82'):
        pkg_resources.working_set


def test_reload_keeps_the_same_objects(without_pkg_resources):
    install_pkg_resources_shim()
    import pkg_resources
    from pkg_resources import get_distribution
    reloaded = importlib.reload(pkg_resources)
    assert reloaded is pkg_resources and is_shim(reloaded)
    # mmengine binds get_distribution before the reload and catches the
    # exception class read after it.
    with pytest.raises(reloaded.DistributionNotFound):
        get_distribution('no-such-distribution-mmlt')
    assert reloaded.DistributionNotFound is DistributionNotFound


def test_mmengine_package_utils_and_config(without_pkg_resources, tmp_path):
    import mmpretrain
    from mmengine import Config
    from mmengine.utils import get_installed_path, is_installed
    with pytest.raises(ImportError):  # what mmengine does without the shim
        is_installed('mmpretrain')
    install_pkg_resources_shim()
    assert is_installed('mmpretrain')
    assert not is_installed('no_such_package_mmlt')
    assert get_installed_path('mmpretrain') == osp.dirname(mmpretrain.__file__)

    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text("_base_ = 'mmpretrain::_base_/default_runtime.py'\n"
                        'extra = 1\n')
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.extra == 1
    assert is_shim(sys.modules['pkg_resources'])


@pytest.mark.skipif(
    importlib.util.find_spec('pkg_resources') is None,
    reason='the real pkg_resources is not installed')
def test_real_pkg_resources_is_left_alone(monkeypatch):
    monkeypatch.setattr(sys, 'meta_path', list(sys.meta_path))
    before = list(sys.meta_path)
    assert install_pkg_resources_shim() is False
    assert sys.meta_path == before
