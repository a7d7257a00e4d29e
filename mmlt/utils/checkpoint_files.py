"""Checkpoint files of a work dir: which one to resume, is it intact, and
writing one so that a partial file never appears.

mmengine 0.10.7 auto-resume (``resume=True`` without a path, mmlt's
``--resume``) reads only the ``last_checkpoint`` file of the work dir: without
it the run silently starts again from epoch 0, and when the file it names is
truncated the load fails with torch's "Ran out of input" / "failed finding
central directory", which names no file. mmengine also writes a checkpoint
straight to its final name, so a full disk leaves a partial ``epoch_N.pth``.

:func:`find_resume_checkpoint` picks the file to resume (the one named by
``last_checkpoint`` if intact, else the newest intact ``epoch_N.pth`` /
``iter_N.pth``; never another work dir's file, which an absolute
``last_checkpoint`` names once its work dir is copied or moved),
:func:`checkpoint_problem` is the integrity test, and
:func:`write_checkpoint_atomic` writes to a temporary name in the same
directory and ``os.replace``-s it into place. :mod:`mmlt.utils.compat` puts
them into mmengine on ``import mmlt``.

The integrity test reads the zip central directory that ``torch.save``
writes last (a truncated file has none) and checks that every member lies
within the file: about 0.5 ms for a 200 MB checkpoint, against 80 ms for
checking the CRCs of all members (``verify_crc=True``, used only to explain a
load that failed) and 115-700 ms for ``torch.load`` itself (warm / cold page
cache, measured on the 2-core development machine).
"""
import os
import os.path as osp
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple, Union

import torch

__all__ = [
    'CorruptCheckpointError', 'ResumeCheckpoint', 'checkpoint_problem',
    'find_resume_checkpoint', 'list_checkpoints', 'load_error_problem',
    'write_checkpoint_atomic'
]

PathLike = Union[str, 'os.PathLike[str]']

LAST_CHECKPOINT = 'last_checkpoint'  # written by mmengine's CheckpointHook
# The names CheckpointHook gives by default (filename_tmpl).
_CHECKPOINT_NAME = re.compile(r'(epoch|iter)_(\d+)\.pth')
_REMOTE = re.compile(r'^[A-Za-z][\w+.-]*:(\S*:)?//')
_ZIP_MAGIC = b'PK\x03\x04'
_PICKLE_PROTO = b'\x80'  # torch's legacy (non-zip) format starts with it


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is truncated or otherwise unreadable.

    Attributes:
        filename: The checkpoint that could not be read.
        reason: What is wrong with it.
    """

    def __init__(self, filename: str, reason: str,
                 cause: Optional[BaseException] = None) -> None:
        detail = ''
        if cause is not None:
            first = str(cause).strip().splitlines()
            detail = f' ({type(cause).__name__}: {first[0] if first else ""})'
        super().__init__(
            f'checkpoint {filename!r} is truncated or corrupt: {reason}'
            f'{detail}. An interrupted save (disk full, killed process) '
            'leaves such a file; resume from an earlier checkpoint '
            '(--resume PATH) or delete it.')
        self.filename = filename
        self.reason = reason


def checkpoint_problem(path: PathLike,
                       verify_crc: bool = False) -> Optional[str]:
    """What is wrong with the checkpoint file ``path``, or None if intact.

    ``torch.save`` writes a zip archive whose central directory comes last,
    so a file cut short anywhere has none. The test opens the directory and
    checks that every member lies within the file; ``verify_crc`` also
    reads every member and checks its CRC (about as slow as reading the
    file). A file in torch's legacy pickle format cannot be checked cheaply
    and counts as intact unless it is empty.

    Args:
        path: A local file.
        verify_crc: Also check the CRC of every member.

    Returns:
        None if the file looks intact, else a short reason ("is empty",
        "has no zip central directory (truncated?)", ...).
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        return 'does not exist' if not osp.exists(path) else 'is not a file'
    size = osp.getsize(path)
    if size == 0:
        return 'is empty (0 bytes)'
    with open(path, 'rb') as f:
        head = f.read(len(_ZIP_MAGIC))
    if head != _ZIP_MAGIC:
        if head.startswith(_PICKLE_PROTO):
            return None  # torch's legacy format: nothing cheap to check
        return f'is not a torch checkpoint (starts with {head!r})'
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if not any(m.filename.endswith('data.pkl') for m in members):
                return 'is a zip archive without data.pkl'
            for m in members:
                if m.header_offset + m.compress_size > size:
                    return (f'ends inside member {m.filename!r} '
                            f'({size} bytes; truncated?)')
            if verify_crc:
                bad = archive.testzip()
                if bad is not None:
                    return f'fails the CRC check of member {bad!r}'
    except zipfile.BadZipFile as e:
        return f'has no readable zip central directory ({e}; truncated?)'
    except (OSError, EOFError, ValueError) as e:  # a damaged member header
        return f'cannot be read as a zip archive ({type(e).__name__}: {e})'
    return None


def load_error_problem(exc: BaseException) -> Optional[str]:
    """The reason a ``torch.load`` error ``exc`` means a damaged file, or
    None if it does not look like one (used when the file itself is not at
    hand, e.g. a downloaded buffer)."""
    if isinstance(exc, EOFError):
        return 'it ends early'
    message = str(exc)
    if isinstance(exc, RuntimeError) and ('PytorchStreamReader' in message
                                          or 'zip archive' in message):
        return 'torch cannot read it as a zip archive'
    return None


def _step_of(name: str) -> Optional[Tuple[str, int]]:
    match = _CHECKPOINT_NAME.fullmatch(name)
    return (match.group(1), int(match.group(2))) if match else None


def list_checkpoints(directory: PathLike) -> List[str]:
    """The ``epoch_N.pth`` / ``iter_N.pth`` files of ``directory``, newest
    first.

    Newest is the highest N. If the directory holds both kinds (a config
    switched between epoch- and iteration-based training), files are ordered
    by modification time first. Other names (``best_*.pth``, published
    ``epoch_N-<sha>.pth``, temporary files) are not listed.
    """
    directory = os.fspath(directory)
    if not osp.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        step = _step_of(name)
        path = osp.join(directory, name)
        if step is not None and osp.isfile(path):
            found.append((step, path))
    mixed = len({kind for (kind, _), _ in found}) > 1
    found.sort(
        key=lambda item: (osp.getmtime(item[1]) if mixed else 0.,
                          item[0][1]),
        reverse=True)
    return [path for _, path in found]


@dataclass
class ResumeCheckpoint:
    """The checkpoint auto-resume should load.

    Attributes:
        path: The checkpoint, or None when the work dir holds none (training
            starts from scratch).
        message: Which one and why, for the log ("no last_checkpoint file;
            resuming from the newest intact checkpoint work_dir/epoch_3.pth",
            ...).
        skipped: ``(file, problem)`` of every damaged checkpoint passed over
            on the way, newest first.
        warning: Log ``message`` as a WARNING, not INFO: ``last_checkpoint``
            names a file outside the work dir (a copied or moved work dir)
            and was not followed.
    """

    path: Optional[str]
    message: str
    skipped: List[Tuple[str, str]] = field(default_factory=list)
    warning: bool = False


def _same_file(a: str, b: Optional[str]) -> bool:
    return b is not None and osp.realpath(a) == osp.realpath(b)


def _real_location(path: str) -> str:
    """``path`` with its directory resolved (``os.path.realpath``), the file
    name kept: a symlinked checkpoint inside a work dir stays inside it."""
    return osp.join(
        osp.realpath(osp.dirname(osp.abspath(path))), osp.basename(path))


def _is_inside(path: str, directory: str) -> bool:
    """Whether the file ``path`` lies in ``directory`` or below it."""
    root = osp.realpath(directory)
    try:
        return osp.commonpath([_real_location(path), root]) == root
    except ValueError:  # on another drive (Windows)
        return False


def _is_checkpoint_out_dir(directory: str, work_dir: str) -> bool:
    """Whether ``directory``, outside ``work_dir``, looks like where
    ``CheckpointHook(out_dir=...)`` saves this run's checkpoints.

    CheckpointHook then writes to ``<out_dir>/<work dir's name>`` and keeps
    ``last_checkpoint`` in the work dir, so that folder has the work dir's
    name and no ``last_checkpoint`` of its own; the work dir holds no
    checkpoint (callers check that). A folder with a ``last_checkpoint`` is
    another run's work dir: this one was copied or moved from there.
    """
    name = osp.basename(osp.abspath(work_dir))
    return (osp.basename(osp.abspath(directory)) == name
            and not osp.isfile(osp.join(directory, LAST_CHECKPOINT)))


def _no_intact_checkpoint(work_dir: str,
                          skipped: List[Tuple[str, str]]) -> RuntimeError:
    listed = '; '.join(f'{p} {problem}' for p, problem in skipped)
    return RuntimeError(
        f'cannot auto-resume in {work_dir}: no intact checkpoint '
        f'({listed}). Delete the damaged files to train from scratch, '
        'or resume another checkpoint with --resume PATH.')


def _resume_own_checkpoint(work_dir: str, pointer: str,
                           named: str) -> ResumeCheckpoint:
    """The choice when ``pointer`` names ``named``, a local file outside
    ``work_dir`` that is not this run's: the work dir's own checkpoint of
    the same name if intact, else its newest intact one, with a WARNING
    that names both. ``named`` and its directory are never read: they belong
    to the run the work dir was copied from, which may have gone on since.
    """
    same_name = osp.join(work_dir, osp.basename(named))
    candidates = [same_name] if osp.isfile(same_name) else []
    candidates += [
        path for path in list_checkpoints(work_dir)
        if not _same_file(path, same_name)
    ]
    outside = (f'{pointer} names {named}, outside the work dir {work_dir} '
               '(the work dir was probably copied or moved; that file '
               'belongs to the run it came from)')
    skipped: List[Tuple[str, str]] = []
    for path in candidates:
        problem = checkpoint_problem(path)
        if problem is None:
            which = ('its checkpoint of the same name' if path == same_name
                     else 'its newest intact checkpoint')
            return ResumeCheckpoint(
                path, f'{outside}; resuming from {which} {path} instead',
                skipped, warning=True)
        skipped.append((path, problem))
    if skipped:
        raise _no_intact_checkpoint(work_dir, skipped)
    return ResumeCheckpoint(
        None, f'{outside}, and there is no checkpoint in {work_dir}: '
        'training starts from scratch (to continue from that file, resume '
        'it explicitly with --resume PATH)', warning=True)


def find_resume_checkpoint(work_dir: PathLike) -> ResumeCheckpoint:
    """Which checkpoint auto-resume of ``work_dir`` should load.

    1. The file named by ``work_dir/last_checkpoint`` if it is intact (a
       remote one, e.g. on ``s3://``, is taken as it is, unchecked).
    2. Otherwise (no, an empty or a dangling ``last_checkpoint``, or a damaged
       file) the newest intact ``epoch_N.pth`` / ``iter_N.pth`` in the
       directory of the named file and in ``work_dir``.

    mmengine writes an absolute path into ``last_checkpoint``, so in a copied
    or moved work dir it names the original run's file, which that run may
    have overwritten or gone past since. A named local file outside
    ``work_dir`` (compared with ``os.path.realpath``) is therefore not
    followed: the work dir's own checkpoint of the same name is taken if
    intact, else its newest intact one, and the message (``warning=True``)
    names both files. If the work dir holds no checkpoint, training starts
    from scratch, with a warning. One exception keeps
    ``CheckpointHook(out_dir=...)`` working: when the work dir holds no
    checkpoint and the named file lies in a folder with the work dir's name
    and no ``last_checkpoint`` (``<out_dir>/<work dir's name>``), it is this
    run's checkpoint folder and is used as in 1 and 2.

    Args:
        work_dir: The run's work dir.

    Returns:
        The choice; ``path`` is None when there is no checkpoint at all.

    Raises:
        RuntimeError: If there are checkpoints but none is intact, naming
            each and what is wrong with it.
    """
    work_dir = os.fspath(work_dir)
    pointer = osp.join(work_dir, LAST_CHECKPOINT)
    named: Optional[str] = None
    skipped: List[Tuple[str, str]] = []
    if not osp.isfile(pointer):
        why = f'no {LAST_CHECKPOINT} file'
    else:
        with open(pointer) as f:
            named = f.read().strip() or None
        if named is None:
            why = f'{pointer} is empty'
        elif _REMOTE.match(named):
            return ResumeCheckpoint(named, f'resuming from {named} (remote, '
                                    f'named by {pointer})')
        elif not _is_inside(named, work_dir) and (
                list_checkpoints(work_dir) or not _is_checkpoint_out_dir(
                    osp.dirname(osp.abspath(named)), work_dir)):
            return _resume_own_checkpoint(work_dir, pointer, named)
        else:
            problem = checkpoint_problem(named)
            if problem is None:
                return ResumeCheckpoint(
                    named, f'resuming from {named}, named by {pointer}')
            skipped.append((named, problem))
            why = f'{pointer} names ' + (
                'a missing file' if problem == 'does not exist' else
                'a damaged checkpoint')
    dirs = [work_dir]
    if named is not None and not _REMOTE.match(named):
        dirs.insert(0, osp.dirname(named) or '.')
    seen: List[str] = []
    for directory in dirs:
        if any(_same_file(directory, d) for d in seen):
            continue
        seen.append(directory)
        for path in list_checkpoints(directory):
            if _same_file(path, named):
                continue
            problem = checkpoint_problem(path)
            if problem is None:
                return ResumeCheckpoint(
                    path, f'{why}; resuming from the newest intact '
                    f'checkpoint {path}', skipped)
            skipped.append((path, problem))
    if skipped:
        raise _no_intact_checkpoint(work_dir, skipped)
    return ResumeCheckpoint(
        None, f'{why} and no checkpoint in {work_dir}: training starts from '
        'scratch')


def write_checkpoint_atomic(checkpoint: Any, filename: PathLike) -> None:
    """``torch.save(checkpoint)`` to the local file ``filename`` so that it
    either appears whole or not at all.

    The checkpoint is written to a hidden temporary file in the same
    directory (``.<name>.<random>.tmp``, which no checkpoint search picks
    up), flushed to disk and renamed over ``filename`` with ``os.replace``
    (atomic on POSIX and Windows). If anything fails (a full disk, an
    interrupt), the temporary file is removed and an existing ``filename``
    is left as it was.

    Args:
        checkpoint: What to save.
        filename: The local target path; missing directories are created.

    Raises:
        OSError: If writing fails (e.g. ENOSPC), naming ``filename``.
        RuntimeError: If ``torch.save`` fails otherwise (torch reports a
            failed write this way too), naming ``filename``.
    """
    filename = os.fspath(filename)
    directory = osp.dirname(osp.abspath(filename))
    os.makedirs(directory, exist_ok=True)
    tmp = osp.join(directory,
                   f'.{osp.basename(filename)}.{uuid.uuid4().hex[:12]}.tmp')
    try:
        # 'x': a fresh file with the usual permissions (umask), never reused
        with open(tmp, 'xb') as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        what = 'nothing was written under that name'
        if isinstance(e, OSError):
            raise OSError(e.errno, f'{e.strerror or e} (saving a checkpoint; '
                          f'{what})', filename) from e
        if isinstance(e, Exception):
            raise RuntimeError(
                f'saving checkpoint {filename!r} failed ({what}): '
                f'{type(e).__name__}: {e}') from e
        raise
