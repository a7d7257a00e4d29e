"""Answer a config path that moved with its new path.

A folder of configs may hold a ``moved.yml`` that says where its former
files live now (``configs/lt/moved.yml``: every config of ``configs/lt/``
before ``configs/`` was split into trick-family folders). When a config file
is missing, :func:`moved_config_hint` looks for such a table in the file's
folder and the folders above it and returns a sentence naming the new path.

:func:`patch_config_fromfile` (applied on ``import mmlt``) makes mmengine's
``Config.fromfile`` raise a ``FileNotFoundError`` with that sentence, both
for the config given on the command line and for a ``_base_`` file a child
config names, so every tool that imports mmlt before reading a config
(mmlt's ``tools/train.py``, ``tools/test.py``, ``tools/kfold_train.py``, the
analysis and deployment tools) says what replaced a moved path.

Format of ``moved.yml`` (it lives in ``configs/<folder>/``; ``New`` is
relative to the repository root, two folders above it)::

    Reasons:
      moved: moved unchanged into its trick-family folder
    Moved:
    - Old: losses/ldam-drw_resnet32_1xb128_cifar10-lt-ir100.py
      New: configs/losses/ldam-drw_resnet32_1xb128_cifar10-lt-ir100.py
      Reason: moved
"""
import functools
import os
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Optional

__all__ = [
    'MOVED_FILE', 'MovedConfig', 'read_moved_table', 'moved_config_hint',
    'patch_config_fromfile'
]

MOVED_FILE = 'moved.yml'
# mmengine.utils.check_file_exist's message (open() sets e.filename instead)
_MISSING = re.compile(r'^file "(.+)" does not exist$')
_PATCH_MARK = '__mmlt_moved_configs__'


class MovedConfig(NamedTuple):
    """One row of a ``moved.yml``: paths relative to the repository root."""
    old: str
    new: str
    reason: str


def read_moved_table(path: str) -> List[MovedConfig]:
    """The rows of the ``moved.yml`` at ``path``, checked.

    Raises:
        ValueError: If the file is not a table of ``Old``/``New``/``Reason``
            rows whose reasons are listed under ``Reasons``, naming the file
            and the row.
    """
    import yaml
    with open(path) as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict) or not isinstance(
            data.get('Moved'), list) or not isinstance(
                data.get('Reasons'), dict):
        raise ValueError(f'{path}: expected the keys Reasons (a mapping) '
                         'and Moved (a list of Old/New/Reason rows)')
    folder = osp.relpath(osp.dirname(osp.abspath(path)),
                         _repo_root(path)).replace(osp.sep, '/')
    rows = []
    for i, row in enumerate(data['Moved']):
        if not isinstance(row, dict) or set(row) != {'Old', 'New', 'Reason'}:
            raise ValueError(f'{path}: Moved row {i} ({row!r}) must have '
                             'exactly the keys Old, New and Reason')
        if row['Reason'] not in data['Reasons']:
            raise ValueError(
                f'{path}: Moved row {i} ({row["Old"]}) names reason '
                f'{row["Reason"]!r}, which Reasons does not list '
                f'({sorted(data["Reasons"])})')
        rows.append(MovedConfig(f'{folder}/{row["Old"]}', row['New'],
                                data['Reasons'][row['Reason']]))
    return rows


def _repo_root(moved_file: str) -> str:
    # moved.yml lives in configs/<folder>/
    return osp.dirname(osp.dirname(osp.dirname(osp.abspath(moved_file))))


@functools.lru_cache(maxsize=None)
def _table(moved_file: str, mtime: float) -> Dict[str, MovedConfig]:
    return {row.old: row for row in read_moved_table(moved_file)}


def moved_config_hint(filename: str) -> Optional[str]:
    """Where the missing config ``filename`` lives now, as a sentence, or
    None if no ``moved.yml`` of its folder or a folder above knows it."""
    path = osp.normpath(osp.abspath(filename))
    folder = osp.dirname(path)
    while True:
        moved_file = osp.join(folder, MOVED_FILE)
        if osp.isfile(moved_file):
            root = _repo_root(moved_file)
            key = osp.relpath(path, root).replace(osp.sep, '/')
            row = _table(moved_file, osp.getmtime(moved_file)).get(key)
            if row is not None:
                new = osp.relpath(osp.join(root, row.new))
                listed = osp.relpath(
                    osp.join(osp.dirname(moved_file), 'README.md'))
                return (f'{row.old} is now {new} ({row.reason}); use that '
                        f'path, in the command or in the _base_ of the '
                        f'config that names it ({listed} lists every moved '
                        'config)')
        parent = osp.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _with_moved_hint(fromfile):

    @functools.wraps(fromfile)
    def wrapper(*args, **kwargs):
        try:
            return fromfile(*args, **kwargs)
        except FileNotFoundError as e:
            match = _MISSING.match(str(e))
            missing = e.filename or (match.group(1) if match else None)
            hint = moved_config_hint(os.fspath(missing)) if missing else None
            if not hint:
                raise
            raise FileNotFoundError(
                f'config file "{missing}" does not exist: {hint}') from e

    setattr(wrapper, _PATCH_MARK, True)
    return wrapper


def patch_config_fromfile() -> None:
    """Make ``mmengine.config.Config.fromfile`` name the new path of a
    moved config (idempotent)."""
    from mmengine.config import Config
    current = Config.__dict__['fromfile']
    if getattr(current.__func__, _PATCH_MARK, False):
        return
    Config.fromfile = staticmethod(_with_moved_hint(current.__func__))
