"""The benchmark's finished runs kept in the repository.

A converged run takes about ten minutes on the 2-core machine the tables are
measured on, and a section needs a few dozen of them: the work dir
(``work_dirs/benchmarks``, not tracked) does not outlive the machine, so a
run that is not kept elsewhere has to be trained again before its section
can be rendered. Every finished run of a protocol with shared rows is
therefore copied, without its checkpoints, into ``benchmarks/results/<key>/
<row>/seed<N>``: what the section and evidence renderers read
(``result.json``, the test's ``per_class.csv``, the config the runner
dumped, the training's ``vis_data/scalars.json``), at the same relative
paths, so a record folder reads like the run folder it came from; the dumped
config alone is renamed ``<name>.py.txt`` (data, not a config of the
repository: :func:`dumped_config` reads either) and has the work dir in
its paths (``work_dir``, ``load_from``) written as ``{work_dir}``, so a
record names no folder of the machine it ran on.

``--reuse`` then finds a run in the work dir or, failing that, in the
records; a row that starts from an earlier row's checkpoint retrains that
row when only its record is left (see ``lt_runs.checkpoint_of``).
"""
import glob
import os
import os.path as osp
import shutil
from typing import List, Optional

from benchmarks.common import RECORDS_PREFIX, ROOT
from benchmarks.lt_logs import RESULT_FILE

# the runs with their checkpoints (relative to the repository root; not
# tracked), and their records (tracked)
DEFAULT_WORK_DIR = 'work_dirs/benchmarks'
DEFAULT_RECORDS_DIR = osp.join(ROOT, RECORDS_PREFIX.rstrip('/'))
# the dumped config's suffix in a record
CONFIG_SUFFIX = '.txt'


def kept_files(run_dir: str) -> List[str]:
    """Paths, relative to ``run_dir``, of the files a record keeps: the
    result, the per-class test results and the dumped config where the run
    wrote them, and every ``<stamp>/vis_data/scalars.json``.

    Raises:
        FileNotFoundError: If ``run_dir`` holds no ``result.json`` (the run
            did not finish).
    """
    if not osp.isfile(osp.join(run_dir, RESULT_FILE)):
        raise FileNotFoundError(f'{run_dir}: no {RESULT_FILE}, the run did '
                                'not finish; nothing to keep')
    names = [RESULT_FILE]
    if osp.isfile(osp.join(run_dir, 'per_class.csv')):
        names.append('per_class.csv')
    names += sorted(osp.basename(p)
                    for p in glob.glob(osp.join(run_dir, '*.py')))
    names += sorted(
        osp.relpath(p, run_dir)
        for p in glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json')))
    return names


# what a record's dumped config says instead of the work dir's path
WORK_DIR_MARK = '{work_dir}'


def work_dir_of(run_dir: str) -> str:
    """The work dir of a run folder ``<work-dir>/<key>/<row>/seed<N>``
    (:func:`benchmarks.lt_runs.run_dir_of`), absolute."""
    return osp.dirname(osp.dirname(osp.dirname(osp.abspath(run_dir))))


def portable_config(text: str, work_dir: str) -> str:
    """A dumped config's ``text`` with the absolute ``work_dir`` written as
    :data:`WORK_DIR_MARK` wherever it starts a path."""
    return text.replace(osp.abspath(work_dir).rstrip(os.sep) + os.sep,
                        WORK_DIR_MARK + '/')


def archive_run(run_dir: str, record_dir: str) -> str:
    """Copy the kept files of a finished run into ``record_dir`` (replacing
    an earlier record of the same row and seed), the dumped config with
    :func:`portable_config`; return ``record_dir``."""
    names = kept_files(run_dir)
    if osp.isdir(record_dir):
        shutil.rmtree(record_dir)
    for name in names:
        src = osp.join(run_dir, name)
        dst = osp.join(record_dir, name + (CONFIG_SUFFIX
                                           if name.endswith('.py') else ''))
        os.makedirs(osp.dirname(dst), exist_ok=True)
        if name.endswith('.py'):
            with open(src) as f:
                text = portable_config(f.read(), work_dir_of(run_dir))
            with open(dst, 'w') as f:
                f.write(text)
        else:
            shutil.copyfile(src, dst)
    return record_dir


def finished_dir(run_dir: str, record_dir: Optional[str]) -> Optional[str]:
    """Where a finished run can be read: ``run_dir`` when it holds a
    result, else ``record_dir`` when that does, else None."""
    for folder in (run_dir, record_dir):
        if folder and osp.isfile(osp.join(folder, RESULT_FILE)):
            return folder
    return None


def dumped_config(folder: str):
    """The config the runner dumped into a run folder (``<name>.py``) or
    its record (``<name>.py.txt``), as an mmengine ``Config``.

    Raises:
        FileNotFoundError: Unless ``folder`` holds exactly one, naming what
            it found.
    """
    from mmengine.config import Config
    dumped = sorted(glob.glob(osp.join(folder, '*.py')) +
                    glob.glob(osp.join(folder, '*.py' + CONFIG_SUFFIX)))
    if len(dumped) != 1:
        raise FileNotFoundError(f'{folder}: expected the one config the '
                                f'runner dumps there, found {dumped}')
    with open(dumped[0]) as f:
        return Config.fromstring(f.read(), '.py')
