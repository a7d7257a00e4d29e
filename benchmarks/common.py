"""Where the benchmark scripts run and what they ran on: the repository
root, the machine and the code (commit and uncommitted changes) a section
was measured with. The page itself, its sections and their order, is
:mod:`benchmarks.page`; the work dir and the run records,
:mod:`benchmarks.lt_archive`.

Run the scripts from the repository root as modules
(``python -m benchmarks.lt_benchmark``), so they import this one without
``sys.path`` edits. This module imports nothing of ``benchmarks``.
"""
import datetime
import functools
import os
import os.path as osp
import platform
import subprocess

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# ------------------------------------------------------------ environment
def cpu_model(cpuinfo: str = '/proc/cpuinfo') -> str:
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def machine_info(python: str) -> str:
    """CPU model, usable cores, the children's torch and device, today."""
    probe = ('import platform, torch; print(torch.__version__); '
             'print(platform.python_version()); '
             'print(torch.cuda.get_device_name(0) '
             'if torch.cuda.is_available() else "")')
    out = subprocess.run([python, '-c', probe],
                         capture_output=True,
                         text=True).stdout.splitlines()
    out += [''] * (3 - len(out))
    torch_version, python_version, gpu = out[:3]
    cores = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else os.cpu_count()
    return (f'{cpu_model()}, {cores} cores, '
            + (f'GPU {gpu}' if gpu else 'no GPU') +
            f', torch {torch_version or "unknown"}, Python '
            f'{python_version or "unknown"}, '
            f'{datetime.date.today().isoformat()}')



@functools.lru_cache(maxsize=None)
def numerics(python: str) -> str:
    """What decides a run's floating-point rounding beyond its seed, as
    ``python`` (with this process's environment, so its OMP_NUM_THREADS)
    sees it: torch's CPU kernel level and its intra-op threads, e.g.
    ``'torch CPU AVX512, 1 thread'``. A run repeats bit for bit only
    where these match (and the versions of :func:`machine_info`); kept
    with every run, it tells a seed's drift between machines from a
    change of code."""
    probe = ('import torch; print(torch.backends.cpu.get_cpu_capability()); '
             'print(torch.get_num_threads())')
    out = subprocess.run([python, '-c', probe], capture_output=True,
                         text=True).stdout.split()
    if len(out) != 2:
        return 'unknown'
    threads = int(out[1])
    return (f'torch CPU {out[0]}, {threads} thread'
            + ('' if threads == 1 else 's'))

# the benchmark's run records (benchmarks/lt_archive.py): data the runs
# write, not code
RECORDS_PREFIX = 'benchmarks/results/'
# what the scripts write (run records, docs and their figures), not a code
# change that the provenance line names
OUTPUT_PREFIXES = (RECORDS_PREFIX, 'docs/')


def git_provenance() -> str:
    """Commit and the tracked files that differ from it (but the scripts'
    own outputs, :data:`OUTPUT_PREFIXES`)."""
    def git(*args: str) -> str:
        return subprocess.run(['git', *args],
                              capture_output=True,
                              text=True,
                              cwd=ROOT).stdout.strip()

    commit = git('rev-parse', '--short', 'HEAD')
    if not commit:
        return ''
    changed = [p for p in git('diff', 'HEAD', '--name-only').split()
               if not p.startswith(OUTPUT_PREFIXES)]
    if not changed:
        return f'commit {commit}'
    listed = ', '.join(f'`{p}`' for p in changed[:5])
    more = f' and {len(changed) - 5} more' if len(changed) > 5 else ''
    return f'commit {commit}, uncommitted changes in {listed}{more}'
