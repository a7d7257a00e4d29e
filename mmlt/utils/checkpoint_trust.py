"""Which checkpoints mmlt lets ``torch.load`` fully unpickle.

A ``.pth`` file is a pickle, and unpickling can run arbitrary code.
torch >= 2.6 loads with ``weights_only=True`` by default, which breaks
mmengine 0.10.7 resume ("Unsupported global:
mmengine.logging.history_buffer.HistoryBuffer"); mmengine's fix
(``weights_only=False`` everywhere) would run code from any checkpoint,
including a downloaded ``load_from`` one. mmlt's policy instead:

Trusted (loaded with ``weights_only=False``, i.e. full pickle, so resume
restores the message hub, optimizer and schedulers) are local files that are

1. under the current run's ``work_dir`` (auto-resume; testing a checkpoint
   that lives in the config's work_dir): trusted while ``Runner.resume`` or
   ``Runner.load_checkpoint`` runs (and the checkpoint ``CheckpointHook``
   has just saved, while it publishes it);
2. the exact file given to ``Runner.resume`` (``--resume PATH``): the user
   explicitly continues that run;
3. under a directory listed in the environment variable
   ``MMLT_TRUSTED_CHECKPOINT_DIRS`` (``os.pathsep``-separated), or passed to
   :func:`trusted_checkpoint_dirs`.

Paths are compared after ``os.path.realpath`` with ``os.path.commonpath``, so
``/x/work_evil`` is not inside ``/x/work`` and a symlink pointing out of a
trusted directory is judged by its target.

Everything else is untrusted: ``load_from``, ``init_cfg=dict(type='Pretrained',
checkpoint=...)``, ``mmengine.runner.load_checkpoint``, URLs and the other
remote schemes (never trusted, even when resumed). Untrusted files are loaded
with an explicit ``weights_only=True`` plus a small allow-list
(:func:`safe_checkpoint_globals`) that admits what mmengine itself saves:
``HistoryBuffer`` (its state is validated), numpy arrays, scalars and dtypes,
and a restricted ``getattr`` that only returns HistoryBuffer's four statistic
methods (``builtins.getattr`` itself is never allowed). Plain state_dicts and
full mmengine checkpoints of another work_dir (the stage-2 ``load_from``) load;
anything else raises :class:`UntrustedCheckpointError` naming the file and the
rejected global, before any of its code runs.

``weights_only`` is always passed explicitly, so
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` (which torch only honours when the
argument is omitted) cannot turn an untrusted load into a full unpickle.
``TORCH_FORCE_WEIGHTS_ONLY_LOAD=1`` overrides even an explicit ``False``:
trusted loads then also go through the allow-list.

Not covered: code that calls ``torch.load`` itself (a few MMPretrain
modules: SwAV queue, RAM, retriever prototypes) keeps torch's default.
"""
import contextlib
import contextvars
import functools
import os
import os.path as osp
import pickle
import re
import threading
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

import torch

from .checkpoint_files import (CorruptCheckpointError, checkpoint_problem,
                               load_error_problem)

PathLike = Union[str, 'os.PathLike[str]']

TRUSTED_DIRS_ENV = 'MMLT_TRUSTED_CHECKPOINT_DIRS'

_TRUSTED_ROOTS: contextvars.ContextVar = contextvars.ContextVar(
    'mmlt_trusted_checkpoint_roots', default=())
_REMOTE = re.compile(r'^[A-Za-z][\w+.-]*:(\S*:)?//')


class UntrustedCheckpointError(RuntimeError):
    """An untrusted checkpoint holds objects ``weights_only`` refuses.

    Attributes:
        filename: The checkpoint that was refused.
        offending: What torch's unpickler rejected (usually a global name).
    """

    def __init__(self, message: str, filename: str, offending: str) -> None:
        super().__init__(message)
        self.filename = filename
        self.offending = offending


def _real(path: PathLike) -> str:
    return osp.realpath(osp.expanduser(os.fspath(path)))


def _is_within(path: str, root: str) -> bool:
    try:
        return osp.commonpath([path, root]) == root
    except ValueError:  # different drives, or relative vs absolute
        return False


@contextlib.contextmanager
def trusted_checkpoint_dirs(*dirs: Optional[PathLike]) -> Iterator[None]:
    """Trust checkpoints under ``dirs`` (directories or single files) for the
    duration of the ``with`` block (per thread / asyncio task).

    ``None`` entries are skipped.
    """
    roots = []
    for d in dirs:
        if d is None:
            continue
        if not isinstance(d, (str, os.PathLike)):
            raise TypeError(f'expected a path, but got {d!r}')
        d = os.fspath(d)
        if d and not _REMOTE.match(d):
            roots.append(_real(d))
    token = _TRUSTED_ROOTS.set(_TRUSTED_ROOTS.get() + tuple(roots))
    try:
        yield
    finally:
        _TRUSTED_ROOTS.reset(token)


def _env_roots() -> Tuple[str, ...]:
    value = os.environ.get(TRUSTED_DIRS_ENV, '')
    return tuple(_real(p) for p in value.split(os.pathsep) if p.strip())


def is_trusted_checkpoint(path: Any) -> bool:
    """Whether ``path`` is a local file mmlt may fully unpickle."""
    if not isinstance(path, (str, os.PathLike)):
        return False
    path = os.fspath(path)
    if not path or _REMOTE.match(path):
        return False
    real = _real(path)
    return any(real == root or _is_within(real, root)
               for root in _TRUSTED_ROOTS.get() + _env_roots())


# ---------------------------------------------------------------------------
# The allow-list for full mmengine checkpoints under weights_only=True.
_HB_STATISTICS = ('min', 'max', 'current', 'mean')
_HB_STATE_KEYS = {'max_length', '_log_history', '_count_history',
                  'statistics_methods'}


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Stands in for ``builtins.getattr`` in a weights-only load.

    ``HistoryBuffer.__getstate__`` pickles its statistic methods, which
    protocol 2 writes as ``getattr(HistoryBuffer, 'min')``. Only those four
    lookups are answered.
    """
    from mmengine.logging import HistoryBuffer
    if (isinstance(obj, type) and issubclass(obj, HistoryBuffer)
            and name in _HB_STATISTICS):
        return getattr(HistoryBuffer, name)
    owner = 'HistoryBuffer' if isinstance(obj, type) and issubclass(
        obj, HistoryBuffer) else getattr(obj, '__qualname__', repr(obj))
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL getattr({owner},{name!r}) is not an '
        'allowed lookup (mmlt only allows HistoryBuffer statistics)')


@functools.lru_cache(maxsize=None)
def _checked_history_buffer() -> type:
    from mmengine.logging import HistoryBuffer

    class CheckedHistoryBuffer(HistoryBuffer):
        """Unpickles into a plain HistoryBuffer after validating the state."""

        def __setstate__(self, state: Any) -> None:
            methods = state.get('statistics_methods', {}) \
                if isinstance(state, dict) else None
            allowed = [getattr(HistoryBuffer, n) for n in _HB_STATISTICS]
            if (not isinstance(state, dict) or not set(state) <= _HB_STATE_KEYS
                    or not isinstance(methods, dict)
                    or not all(m in allowed for m in methods.values())):
                raise pickle.UnpicklingError(
                    'Unexpected HistoryBuffer state in checkpoint')
            self.__class__ = HistoryBuffer
            HistoryBuffer.__setstate__(self, state)

    return CheckedHistoryBuffer


@functools.lru_cache(maxsize=None)
def _allow_list() -> Tuple[Any, ...]:
    import numpy as np
    reconstruct = np.array([0]).__reduce__()[0]
    scalar = np.float64(0).__reduce__()[0]
    items: List[Any] = [np.ndarray, np.dtype]
    items += sorted({type(np.dtype(c)) for c in np.typecodes['All']},
                    key=lambda t: t.__name__)
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        items += [(reconstruct, f'{module}._reconstruct'),
                  (scalar, f'{module}.scalar')]
    items += [(_checked_history_buffer(),
               'mmengine.logging.history_buffer.HistoryBuffer'),
              (_history_buffer_getattr, 'builtins.getattr')]
    return tuple(items)


_SAFE_LOCK = threading.Lock()
_safe_depth = 0
_safe_cm: Optional[Any] = None


@contextlib.contextmanager
def safe_checkpoint_globals() -> Iterator[None]:
    """Allow what mmengine saves in a ``weights_only=True`` load.

    Re-entrant and thread-safe (reference counted); entries the user added
    to torch's allow-list beforehand are left in place on exit.
    """
    global _safe_depth, _safe_cm
    with _SAFE_LOCK:
        if _safe_depth == 0:
            present = set(torch.serialization.get_safe_globals())
            added = [g for g in _allow_list() if g not in present]
            _safe_cm = torch.serialization.safe_globals(added)
            _safe_cm.__enter__()
        _safe_depth += 1
    try:
        yield
    finally:
        with _SAFE_LOCK:
            _safe_depth -= 1
            if _safe_depth == 0 and _safe_cm is not None:
                _safe_cm.__exit__(None, None, None)
                _safe_cm = None


def _rejected(message: str) -> str:
    """The part of torch's weights_only message that says what failed."""
    match = re.search(r'GLOBAL (\S+)', message)
    if match:
        return match.group(1)
    detail = message.split('WeightsUnpickler error:', 1)[-1]
    boilerplate = ('Check the doc', 'Weights only')
    lines = [line.strip() for line in detail.splitlines()]
    lines = [line for line in lines
             if line and not line.startswith(boilerplate)]
    return lines[0] if lines else message


def untrusted_error(name: str, exc: Exception,
                    trusted: bool) -> UntrustedCheckpointError:
    """The error for a weights-only refusal ``exc`` of checkpoint ``name``."""
    offending = _rejected(str(exc))
    if trusted:
        why = ('TORCH_FORCE_WEIGHTS_ONLY_LOAD is set, so even this trusted '
               'checkpoint was loaded with weights_only=True')
    elif _REMOTE.match(name):
        why = 'remote checkpoints are never trusted'
    else:
        why = 'it is not in a trusted location'
    return UntrustedCheckpointError(
        f'Refusing to unpickle checkpoint {name!r}: {why}, and '
        f'torch.load(weights_only=True) rejected {offending!r}. Unpickling '
        'can run arbitrary code, so only trust files you created: resume '
        'it (--resume PATH), put it under the run\'s work_dir, add its '
        f'directory to {TRUSTED_DIRS_ENV} ({os.pathsep!r}-separated) or use '
        'mmlt.utils.trusted_checkpoint_dirs(); or re-save just its '
        "'state_dict' (tensors load from anywhere).", name, offending)


def load_checkpoint_file(f: Any,
                         map_location: Any = None,
                         *,
                         trusted: bool,
                         name: Optional[str] = None) -> Any:
    """``torch.load`` with an explicit ``weights_only`` chosen by trust.

    Args:
        f: A path or file-like object, as for ``torch.load``.
        map_location: As for ``torch.load``.
        trusted: Full unpickle (``weights_only=False``) if True, else
            ``weights_only=True`` with :func:`safe_checkpoint_globals`.
        name: How to name the checkpoint in errors (defaults to ``f``).

    Raises:
        CorruptCheckpointError: If the file is truncated or damaged (named,
            instead of torch's "Ran out of input" or zip-archive error).
        UntrustedCheckpointError: If the weights-only unpickler refuses it.
    """
    name = str(f) if name is None else name
    forced = os.environ.get('TORCH_FORCE_WEIGHTS_ONLY_LOAD', '0').lower() \
        in ('1', 'y', 'yes', 'true')  # torch's own test of this variable
    try:
        with safe_checkpoint_globals():
            return torch.load(
                f, map_location=map_location, weights_only=not trusted)
    except Exception as e:
        problem = _damage(f, e)
        if problem is not None:
            raise CorruptCheckpointError(name, problem, e) from e
        if not isinstance(e, pickle.UnpicklingError) or (trusted
                                                         and not forced):
            raise
        raise untrusted_error(name, e, trusted) from e


def _damage(f: Any, exc: BaseException) -> Optional[str]:
    """Why loading ``f`` failed with ``exc`` if the file is damaged: the
    full integrity test (CRCs included) of a local file, else what the
    error says."""
    if isinstance(f, (str, os.PathLike)) and osp.isfile(f):
        problem = checkpoint_problem(f, verify_crc=True)
        if problem is not None:
            return problem
    return load_error_problem(exc)
