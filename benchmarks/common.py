"""Helpers shared by the benchmark scripts: the machine and code a run
was measured on, and the writer that replaces one section of
``docs/benchmarks.md`` between its markers.

Run the scripts from the repository root as modules
(``python -m benchmarks.lt_benchmark``), so they import this one without
``sys.path`` edits.
"""
import datetime
import os
import os.path as osp
import platform
import re
import subprocess
from typing import Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

DOC_INTRO = """\
# Benchmarks

Figures on this page are written by the scripts under `benchmarks/`; none is
typed in by hand. CI does not run them (a full run takes a while on CPU).
To reproduce a section, from the repository root, with the Python where
mmlt is installed (e.g. `.venv/bin/python`; the script starts
`tools/train.py` and `tools/test.py` with the same interpreter):

```bash
# gunzip Debian's dataset-fashion-mnist into data/fashion_mnist
python tools/dataset/prepare_fashion_mnist.py
# train, test and rewrite the 'losses' section below
python -m benchmarks.lt_benchmark
```

`python -m benchmarks.lt_benchmark --help` lists the options (configs, seeds,
epochs, section).
Each section records the machine, the schedule and the exact command that
produced it. Timings come from a shared 2-core machine and are noisy.
"""



def check_section_name(name: str) -> str:
    """Section names go into HTML comments: letters, digits, ``_``, ``-``."""
    if not re.fullmatch(r'[A-Za-z0-9_-]+', name):
        raise ValueError(f'section name {name!r} must use only letters, '
                         'digits, "_" and "-".')
    return name



def section_markers(name: str) -> Tuple[str, str]:
    check_section_name(name)
    return f'<!-- bench:{name}:start -->', f'<!-- bench:{name}:end -->'


def replace_section(text: str, name: str, body: str,
                    intro: str = DOC_INTRO) -> str:
    """Put ``body`` between the markers of section ``name`` in ``text``.

    Everything outside those markers is kept. A section not yet in the
    file is appended; an empty file starts with ``intro``.

    Raises:
        ValueError: If the markers are unbalanced or out of order.
    """
    start, end = section_markers(name)
    n_start, n_end = text.count(start), text.count(end)
    block = f'{start}\n{body.strip()}\n{end}'
    if n_start == 0 and n_end == 0:
        base = text if text.strip() else intro
        return base.rstrip('\n') + '\n\n' + block + '\n'
    if n_start != 1 or n_end != 1:
        raise ValueError(f'section {name!r} needs exactly one {start} and '
                         f'one {end}, found {n_start} and {n_end}.')
    i, j = text.index(start), text.index(end)
    if j < i:
        raise ValueError(f'section {name!r}: {end} comes before {start}.')
    return text[:i] + block + text[j + len(end):]


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


def write_report(path: str, section: str, body: str) -> None:
    text = ''
    if osp.isfile(path):
        with open(path) as f:
            text = f.read()
    new = replace_section(text, section, body)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(new)

