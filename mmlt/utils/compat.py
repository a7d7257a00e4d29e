"""Compatibility fixes for the pinned stack, applied by ``import mmlt``.

:func:`apply_compat_patches` is idempotent and cheap. It

1. makes ``import pkg_resources`` work when setuptools >= 82 no longer ships it
   (mmengine needs it for ``_base_ = 'mmpretrain::...'``), see
   :mod:`mmlt.utils.pkg_resources_shim`;
2. replaces every checkpoint loader of mmengine's ``CheckpointLoader`` by one
   that passes ``weights_only`` explicitly according to mmlt's trust policy,
   and makes ``Runner.resume`` / ``Runner.load_checkpoint`` (and the
   FlexibleRunner's) trust the run's work_dir, see
   :mod:`mmlt.utils.checkpoint_trust`.

What mmengine 0.10.7 does unpatched under torch >= 2.6: local, pavi, ceph and
open-mmlab files go through ``torch.load`` with torch's default (weights_only,
which a ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` env var turns off), and http(s),
``torchvision://``, ``open-mmlab://`` URLs and ``mmcls://`` go through
``torch.hub.load_state_dict_from_url``, whose default is weights_only=False:
a downloaded checkpoint is fully unpickled. After patching, remote
checkpoints always load with weights_only=True.
"""
import functools
import io
import logging
import os.path as osp
import pickle
from tempfile import TemporaryDirectory
from typing import Any, Callable, Iterable

from .checkpoint_trust import (is_trusted_checkpoint, load_checkpoint_file,
                               safe_checkpoint_globals,
                               trusted_checkpoint_dirs, untrusted_error)
from .default_hooks_compat import patch_register_default_hooks
from .pkg_resources_shim import install_pkg_resources_shim

_PATCH_MARK = '__mmlt_trust_patched__'
_applied = False


def _safe(loader: Callable) -> Callable:
    setattr(loader, _PATCH_MARK, True)
    return loader


# Names follow mmengine's (``CheckpointLoader`` logs ``__name__[10:]``).
@_safe
def load_from_local(filename: str, map_location: Any = None) -> Any:
    """Local file: full unpickle only if :func:`is_trusted_checkpoint`."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return load_checkpoint_file(
        filename, map_location, trusted=is_trusted_checkpoint(filename))


def _load_url(url: str, map_location: Any, model_dir: Any,
              progress: bool) -> Any:
    import torch.hub
    try:
        with safe_checkpoint_globals():
            return torch.hub.load_state_dict_from_url(
                url, model_dir=model_dir, map_location=map_location,
                progress=progress, weights_only=True)
    except pickle.UnpicklingError as e:
        raise untrusted_error(url, e, trusted=False) from e


@_safe
def load_from_http(filename: str,
                   map_location: Any = None,
                   model_dir: Any = None,
                   progress: bool = False) -> Any:
    """URL: downloaded (once per node in distributed runs, like mmengine) and
    loaded with weights_only=True."""
    import torch.distributed
    from mmengine.dist import get_dist_info
    rank, world_size = get_dist_info()
    if rank == 0:
        checkpoint = _load_url(filename, map_location, model_dir, progress)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = _load_url(filename, map_location, model_dir,
                                   progress)
    return checkpoint


@_safe
def load_from_pavi(filename: str, map_location: Any = None) -> Any:
    """``pavi://`` model cloud: untrusted, weights_only=True."""
    if not filename.startswith('pavi://'):
        raise ValueError(f'Expected a pavi:// path, but got {filename!r}')
    try:
        from pavi import modelcloud
    except ImportError:
        raise ImportError(
            'Please install pavi to load checkpoint from modelcloud.')
    model = modelcloud.get(filename[7:])
    with TemporaryDirectory() as tmp_dir:
        downloaded = osp.join(tmp_dir, model.name)
        model.download(downloaded)
        return load_checkpoint_file(
            downloaded, map_location, trusted=False, name=filename)


@_safe
def load_from_ceph(filename: str,
                   map_location: Any = None,
                   backend: str = 'petrel') -> Any:
    """``s3://`` / ``petrel://``: untrusted, weights_only=True."""
    from mmengine.fileio import get_file_backend
    file_backend = get_file_backend(
        filename, backend_args={'backend': backend})
    with io.BytesIO(file_backend.get(filename)) as buffer:
        return load_checkpoint_file(
            buffer, map_location, trusted=False, name=filename)


@_safe
def load_from_openmmlab(filename: str, map_location: Any = None) -> Any:
    """``open-mmlab://`` model zoo names: URLs or files in the mmengine
    cache; untrusted either way."""
    from mmengine.logging import print_log
    from mmengine.runner import checkpoint as ckpt
    prefix = 'open-mmlab://' if filename.startswith('open-mmlab://') \
        else 'openmmlab://'
    model_name = filename[len(prefix):]
    deprecated = ckpt.get_deprecated_model_names()
    if model_name in deprecated:
        print_log(
            f'{prefix}{model_name} is deprecated in favor '
            f'of {prefix}{deprecated[model_name]}',
            logger='current',
            level=logging.WARNING)
        model_name = deprecated[model_name]
    model_url = ckpt.get_external_models()[model_name]
    if model_url.startswith(('http://', 'https://')):
        return load_from_http(model_url, map_location=map_location)
    path = osp.join(ckpt._get_mmengine_home(), model_url)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} can not be found.')
    return load_checkpoint_file(path, map_location, trusted=False)


def _patch_checkpoint_loaders() -> None:
    from mmengine.runner import checkpoint as ckpt
    schemes = {
        '': load_from_local,
        ('http://', 'https://'): load_from_http,
        'pavi://': load_from_pavi,
        (r'(\S+\:)?s3://', r'(\S+\:)?petrel://'): load_from_ceph,
        ('open-mmlab://', 'openmmlab://'): load_from_openmmlab,
    }
    for prefixes, loader in schemes.items():
        ckpt.CheckpointLoader.register_scheme(
            prefixes=list(prefixes) if isinstance(prefixes, tuple) else
            prefixes, loader=loader, force=True)
        # Direct callers, and mmengine's torchvision:// and mmcls:// loaders
        # (which call the module's ``load_from_http``), get the safe ones.
        setattr(ckpt, loader.__name__, loader)


def _trust_during(method: Callable, roots: Callable[..., Iterable[Any]]
                  ) -> Callable:
    """Wrap ``method`` to trust ``roots(self, *args, **kwargs)`` while it
    runs."""
    if getattr(method, _PATCH_MARK, False):
        return method

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with trusted_checkpoint_dirs(*roots(self, *args, **kwargs)):
            return method(self, *args, **kwargs)

    return _safe(wrapper)


def _work_dir(runner: Any, *args: Any, **kwargs: Any) -> Iterable[Any]:
    return (getattr(runner, 'work_dir', None), )


def _work_dir_and_file(runner: Any, filename: Any, *args: Any,
                       **kwargs: Any) -> Iterable[Any]:
    return (getattr(runner, 'work_dir', None), filename)


def _saved_file(hook: Any, runner: Any, ckpt_path: Any, *args: Any,
                **kwargs: Any) -> Iterable[Any]:
    return (ckpt_path, )  # the checkpoint the hook itself has just written


def _patch_runners() -> None:
    from mmengine.hooks import CheckpointHook
    from mmengine.runner import Runner
    from mmengine.runner._flexible_runner import FlexibleRunner
    for cls in (Runner, FlexibleRunner):
        cls.resume = _trust_during(cls.resume, _work_dir_and_file)
        cls.load_checkpoint = _trust_during(cls.load_checkpoint, _work_dir)
    CheckpointHook._publish_model = _trust_during(
        CheckpointHook._publish_model, _saved_file)


def apply_compat_patches() -> None:
    """Apply mmlt's fixes for the pinned stack (idempotent, cheap)."""
    global _applied
    if _applied:
        return
    install_pkg_resources_shim()
    _patch_checkpoint_loaders()
    _patch_runners()
    patch_register_default_hooks()
    _applied = True
