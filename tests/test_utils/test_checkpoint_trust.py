"""mmlt's checkpoint trust policy: untrusted files never run pickled code."""
import collections
import os
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader, Runner
from mmengine.runner import checkpoint as mm_ckpt

import mmlt  # noqa: F401  (applies the patches)
from mmlt.utils import (TRUSTED_DIRS_ENV, UntrustedCheckpointError,
                        apply_compat_patches, is_trusted_checkpoint,
                        safe_checkpoint_globals, trusted_checkpoint_dirs)
from mmlt.utils import compat


class _Evil:
    """Unpickling this runs ``exec``: it creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f'open({self.marker!r}, "w").close()', )


class _Reduce:
    """Pickles as ``func(*args)``."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


class _Tiny(BaseModule):

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(3, 2)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in (TRUSTED_DIRS_ENV, 'TORCH_FORCE_WEIGHTS_ONLY_LOAD',
                'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def evil(tmp_path):
    """A checkpoint with a state_dict and a code-running object."""
    path = tmp_path / 'downloads' / 'evil.pth'
    path.parent.mkdir()
    marker = tmp_path / 'pwned'
    torch.save({'state_dict': _Tiny().state_dict(), 'x': _Evil(marker)}, path)
    return path, marker


def _assert_refused(excinfo, path, marker):
    err = excinfo.value
    assert str(path) in str(err) and err.filename == str(path)
    assert err.offending == 'exec'
    assert TRUSTED_DIRS_ENV in str(err)
    assert isinstance(err.__cause__, pickle.UnpicklingError)
    assert not marker.exists()


def test_load_checkpoint_refuses(evil):
    path, marker = evil
    with pytest.raises(UntrustedCheckpointError) as excinfo:
        mm_ckpt.load_checkpoint(_Tiny(), str(path))
    _assert_refused(excinfo, path, marker)


def test_private_load_checkpoint_refuses(evil):
    path, marker = evil
    with pytest.raises(UntrustedCheckpointError) as excinfo:
        mm_ckpt._load_checkpoint(str(path), map_location='cpu')
    _assert_refused(excinfo, path, marker)


def test_runner_load_checkpoint_refuses(evil, tmp_path):
    path, marker = evil
    runner = Runner(model=_Tiny(), work_dir=str(tmp_path / 'work'),
                    experiment_name='trust_runner_refuses')
    with pytest.raises(UntrustedCheckpointError) as excinfo:
        runner.load_checkpoint(str(path))
    _assert_refused(excinfo, path, marker)


def test_pretrained_init_cfg_refuses(evil):
    path, marker = evil
    model = _Tiny(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(UntrustedCheckpointError) as excinfo:
        model.init_weights()
    _assert_refused(excinfo, path, marker)


def test_force_no_weights_only_env_does_not_unpickle(evil, monkeypatch):
    path, marker = evil
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(UntrustedCheckpointError) as excinfo:
        mm_ckpt._load_checkpoint(str(path))
    _assert_refused(excinfo, path, marker)


def test_trusted_dir_from_env_fully_unpickles(evil, monkeypatch, tmp_path):
    path, marker = evil
    monkeypatch.setenv(TRUSTED_DIRS_ENV,
                       os.pathsep.join([str(tmp_path / 'other'),
                                        str(path.parent)]))
    assert is_trusted_checkpoint(path)
    ckpt = mm_ckpt._load_checkpoint(str(path))
    assert 'state_dict' in ckpt
    assert marker.exists()  # proves the refusals above are meaningful


def test_force_weights_only_env_applies_to_trusted_files(evil, monkeypatch):
    path, marker = evil
    monkeypatch.setenv('TORCH_FORCE_WEIGHTS_ONLY_LOAD', '1')
    with trusted_checkpoint_dirs(path.parent):
        with pytest.raises(UntrustedCheckpointError,
                           match='TORCH_FORCE_WEIGHTS_ONLY_LOAD'):
            mm_ckpt._load_checkpoint(str(path))
    assert not marker.exists()


def test_trusted_dir_context_manager(evil):
    path, marker = evil
    assert not is_trusted_checkpoint(path)
    with trusted_checkpoint_dirs(path.parent):
        assert is_trusted_checkpoint(path)
        mm_ckpt._load_checkpoint(str(path))
    assert not is_trusted_checkpoint(path)
    assert marker.exists()


def test_plain_state_dict_from_untrusted_dir_loads(tmp_path):
    src, dst = _Tiny(), _Tiny()
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': src.state_dict(), 'meta': {'epoch': 3}}, path)
    mm_ckpt.load_checkpoint(dst, str(path))
    assert torch.equal(src.fc.weight, dst.fc.weight)
    plain = tmp_path / 'plain.pth'
    torch.save(src.state_dict(), plain)
    loaded = mm_ckpt._load_checkpoint(str(plain))
    assert set(loaded) == {'fc.weight', 'fc.bias'}


def test_prefix_trick_and_symlinks(tmp_path):
    work, evil_dir = tmp_path / 'work', tmp_path / 'work_evil'
    for d in (work, evil_dir):
        d.mkdir()
        (d / 'a.pth').touch()
    (work / 'link.pth').symlink_to(evil_dir / 'a.pth')
    with trusted_checkpoint_dirs(str(work) + os.sep):
        assert is_trusted_checkpoint(work / 'a.pth')
        assert is_trusted_checkpoint(str(work / 'sub' / '..' / 'a.pth'))
        assert not is_trusted_checkpoint(evil_dir / 'a.pth')
        assert not is_trusted_checkpoint(work / 'link.pth')
        assert not is_trusted_checkpoint(str(work / '..' / 'work_evil/a.pth'))
    with trusted_checkpoint_dirs(work / 'a.pth'):  # a single file
        assert is_trusted_checkpoint(work / 'a.pth')
        assert not is_trusted_checkpoint(work / 'b.pth')


def test_remote_paths_are_never_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv(TRUSTED_DIRS_ENV, '/')
    assert is_trusted_checkpoint(tmp_path / 'x.pth')
    for url in ('https://example.com/a.pth', 's3://bucket/a.pth',
                'open-mmlab:s3://bucket/a.pth', 'torchvision://resnet18'):
        assert not is_trusted_checkpoint(url)
    assert not is_trusted_checkpoint(None)
    with pytest.raises(TypeError, match='expected a path'):
        with trusted_checkpoint_dirs(3):
            pass


def test_url_schemes_load_with_weights_only(monkeypatch):
    calls = []

    def fake_load_url(url, **kwargs):
        calls.append((url, kwargs['weights_only']))
        return {}

    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', fake_load_url)
    mm_ckpt._load_checkpoint('https://example.com/a.pth')
    mm_ckpt._load_checkpoint('torchvision://resnet18')  # via load_from_http
    assert [w for _, w in calls] == [True, True]
    assert calls[1][0].startswith('https://')


def test_every_scheme_is_patched():
    apply_compat_patches()
    for prefix, loader in CheckpointLoader._schemes.items():
        if loader in (mm_ckpt.load_from_torchvision, mm_ckpt.load_from_mmcls):
            # these resolve a URL and call the module's load_from_http
            assert mm_ckpt.load_from_http is compat.load_from_http
        else:
            assert getattr(loader, compat._PATCH_MARK, False), prefix


def test_patches_are_idempotent():
    resume, load = Runner.resume, Runner.load_checkpoint
    apply_compat_patches()
    compat._applied = False
    apply_compat_patches()
    assert Runner.resume is resume and Runner.load_checkpoint is load
    assert not hasattr(Runner.resume.__wrapped__, '__wrapped__')
    assert CheckpointLoader._schemes[''] is compat.load_from_local


def test_allow_list_does_not_expose_getattr(tmp_path):
    marker = tmp_path / 'pwned'
    cases = {
        # OrderedDict is allowed by torch, so the lookup reaches the
        # restricted getattr
        'getattr_other': _Reduce(getattr, collections.OrderedDict, 'fromkeys'),
        'getattr_hb_method': _Reduce(getattr, HistoryBuffer, '__init__'),
        'allowed_lookup': _Reduce(getattr, HistoryBuffer, 'min'),
    }
    hb = HistoryBuffer([1.0, 2.0], [1, 1])
    hb.extra = 1  # an unexpected state key
    cases['tampered_hb'] = hb
    offending = {}
    for name, obj in cases.items():
        path = tmp_path / f'{name}.pth'
        torch.save({'x': obj}, path)
        if name == 'allowed_lookup':  # the allowed lookup itself is fine
            assert mm_ckpt._load_checkpoint(str(path))['x'] is \
                HistoryBuffer.min
            continue
        with pytest.raises(UntrustedCheckpointError, match=name) as excinfo:
            mm_ckpt._load_checkpoint(str(path))
        offending[name] = excinfo.value.offending
    assert offending == {
        'getattr_other': "getattr(OrderedDict,'fromkeys')",
        'getattr_hb_method': "getattr(HistoryBuffer,'__init__')",
        'tampered_hb': 'Unexpected HistoryBuffer state in checkpoint',
    }
    assert not marker.exists()


def test_safe_globals_are_scoped():
    with torch.serialization.safe_globals([HistoryBuffer]):  # the user's
        before = set(torch.serialization.get_safe_globals())
        with safe_checkpoint_globals():
            with safe_checkpoint_globals():
                during = set(torch.serialization.get_safe_globals())
            assert set(torch.serialization.get_safe_globals()) == during
        assert during > before
        assert set(torch.serialization.get_safe_globals()) == before


def test_a_missing_checkpoint_a_tool_writes_names_the_tool(tmp_path):
    from mmlt.utils.compat import load_from_local
    lite0 = tmp_path / 'efficientnet-lite0_tf_in1k_mmpretrain.pth'
    with pytest.raises(FileNotFoundError,
                       match=r'can not be found\. Write it .* with: python '
                       r'tools/model_converters/efficientnet_lite_to_'
                       r'mmpretrain\.py'):
        load_from_local(str(lite0))
    with pytest.raises(FileNotFoundError) as info:
        load_from_local(str(tmp_path / 'other.pth'))
    assert str(info.value) == f'{tmp_path}/other.pth can not be found.'
