"""Long-tail benchmark on Fashion-MNIST-LT (IR 100).

Usage: ``python benchmarks/lt_benchmark.py [--configs NAME=PATH ...]``.

Trains each config for a fixed schedule (``--epochs``, set through config
overrides, so every row shares it) with several seeds, tests the final
checkpoint on the balanced 10,000-image test set and writes one section of
``docs/benchmarks.md``: top-1, balanced accuracy, many/medium/few-shot
accuracy and macro-F1 (mean ± sample std over seeds, in percent), seconds
per training epoch and the peak resident memory of the training process,
plus the machine, the schedule and the command. Not run in CI.

Each training run and each test is its own subprocess
(``tools/train.py`` / ``tools/test.py``) in a fresh work dir.

How the figures are measured:

- s/epoch: from the runner's json log (``vis_data/scalars.json``): the
  median of the logged iteration times (mmengine's ``time``, each the mean
  over a logging window of 10 iterations) times the iterations per epoch.
  The median keeps a burst of other work on a shared machine from
  dominating; it excludes start-up, checkpoint saving and validation. The
  per-run wall clock (train + test, start-up included) is reported beside
  it.
- peak RSS: ``ru_maxrss`` of the training process from ``os.wait4`` on that
  child alone (Linux: the largest resident set of the process or any of its
  waited-for descendants such as dataloader workers; not their sum).
"""
import argparse
import datetime
import json
import math
import os
import os.path as osp
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEFAULT_CONFIGS = (
    'cross-entropy='
    'configs/lt/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py',
    'focal-loss='
    'configs/lt/convnext-atto_focal_1xb128_fashion-mnist-lt-ir100.py',
)
DEFAULT_SEEDS = (0, 1, 2)
# Sized so one run (train + test) stays well under 10 minutes on 2 CPU
# cores; see docs/benchmarks.md for the measured time.
DEFAULT_EPOCHS = 4
DEFAULT_SECTION = 'losses'
DEFAULT_OUT = 'docs/benchmarks.md'
DEFAULT_WORK_DIR = 'work_dirs/benchmarks'

# (metric key of mmlt's LongTailMetric, column title)
METRIC_COLUMNS = (
    ('long_tail/top1', 'top-1'),
    ('long_tail/balanced_accuracy', 'balanced'),
    ('long_tail/many_shot', 'many'),
    ('long_tail/medium_shot', 'medium'),
    ('long_tail/few_shot', 'few'),
    ('long_tail/macro_f1', 'macro-F1'),
)
BIN_KEYS = ('long_tail/num_many', 'long_tail/num_medium', 'long_tail/num_few')
RESULT_FILE = 'result.json'

DOC_INTRO = """\
# Benchmarks

Figures on this page are written by the scripts under `benchmarks/`; none is
typed in by hand. CI does not run them (a full run takes a while on CPU).
To reproduce a section, from the repository root, with the Python where
mmlt is installed (e.g. `.venv/bin/python`; the script starts
`tools/train.py` and `tools/test.py` with the same interpreter):

```bash
# gunzip Debian's dataset-fashion-mnist into data/fashion_mnist
python benchmarks/prepare_fashion_mnist.py
# train, test and rewrite the 'losses' section below
python benchmarks/lt_benchmark.py
```

`lt_benchmark.py --help` lists the options (configs, seeds, epochs, section).
Each section records the machine, the schedule and the exact command that
produced it. Timings come from a shared 2-core machine and are noisy.
"""


@dataclass
class ConfigSpec:
    """A row of the table: its display name and config path, and for the
    second stage of a two-stage recipe, what chains it to the first (see
    ``--after``, ``--prepare``, ``--row-cfg``, ``--test-only``)."""
    name: str
    path: str
    after: Optional[str] = None
    prepare: Optional[str] = None
    cfg: List[str] = field(default_factory=list)
    test_only: Optional[str] = None


@dataclass
class RunResult:
    """What one (config, seed) run measured."""
    name: str
    seed: int
    metrics: Dict[str, float]
    sec_per_epoch: float
    peak_rss_mb: float
    wall_s: float
    extra: Dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- arguments
def parse_config_spec(text: str) -> ConfigSpec:
    """Read ``NAME=PATH`` or ``PATH`` (the name is then the file's stem).

    Raises:
        ValueError: If the name or the path is empty.
    """
    name, sep, path = text.partition('=')
    if not sep:
        name, path = '', text
    name, path = name.strip(), path.strip()
    if not path:
        raise ValueError(f'config spec {text!r} has no path; expected '
                         'NAME=PATH or PATH.')
    if sep and not name:
        raise ValueError(f'config spec {text!r} has an empty name; expected '
                         'NAME=PATH or PATH.')
    if not name:
        name = osp.splitext(osp.basename(path))[0]
    return ConfigSpec(name=name, path=path)


def slugify(name: str) -> str:
    """A folder-safe version of a row name."""
    slug = re.sub(r'[^A-Za-z0-9._-]+', '-', name).strip('-').lower()
    return slug or 'run'


def check_section_name(name: str) -> str:
    """Section names go into HTML comments: letters, digits, ``_``, ``-``."""
    if not re.fullmatch(r'[A-Za-z0-9_-]+', name):
        raise ValueError(f'section name {name!r} must use only letters, '
                         'digits, "_" and "-".')
    return name


# --------------------------------------------------------------- commands
def schedule_overrides(epochs: int, seed: int) -> List[str]:
    """``--cfg-options`` fixing the schedule: E epochs, one validation and
    one checkpoint at the end, the given seed."""
    return [
        f'randomness.seed={seed}',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'default_hooks.checkpoint.interval={epochs}',
    ]


def train_command(python: str,
                  config: str,
                  work_dir: str,
                  epochs: int,
                  seed: int,
                  extra: Sequence[str] = ()) -> List[str]:
    return [
        python,
        osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir,
        '--cfg-options'
    ] + schedule_overrides(epochs, seed) + list(extra)


PLACEHOLDERS = ('python', 'run_dir', 'seed', 'stage1_config',
                'stage1_checkpoint', 'stage1_dir')


def fill_placeholders(template: str, context: Dict[str, str],
                      what: str) -> str:
    """``template`` with ``{python}``, ``{run_dir}``, ``{seed}`` and, for
    a row with ``--after``, ``{stage1_config}``, ``{stage1_checkpoint}``,
    ``{stage1_dir}`` filled in.

    Raises:
        ValueError: For a placeholder that is unknown or not available for
            this row.
    """
    for name in re.findall(r'{([^{}]*)}', template):
        if name not in context:
            known = [k for k in PLACEHOLDERS if k in context]
            raise ValueError(f'{what} {template!r}: placeholder {{{name}}} '
                             f'is not one of {known}')
    return template.format(**context)


def run_dir_of(args: argparse.Namespace, name: str, seed: int) -> str:
    return osp.abspath(
        osp.join(args.work_dir, args.section, slugify(name), f'seed{seed}'))


def test_command(python: str, config: str, checkpoint: str, work_dir: str,
                 out: str) -> List[str]:
    return [
        python,
        osp.join(ROOT, 'tools', 'test.py'), config, checkpoint, '--work-dir',
        work_dir, '--out', out, '--out-item', 'metrics'
    ]


def run_measured(cmd: Sequence[str], log_path: str) -> Tuple[int, float,
                                                              float]:
    """Run ``cmd`` with output to ``log_path``.

    Returns:
        (exit code, wall seconds, peak RSS in MiB of that child alone, from
        ``os.wait4``).
    """
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(
            list(cmd), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return proc.returncode, wall, usage.ru_maxrss / 1024.0


# ------------------------------------------------------------ log parsing
def read_json_lines(path: str) -> List[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def find_scalars(work_dir: str) -> str:
    """The training run's ``vis_data/scalars.json`` under ``work_dir``.

    Raises:
        FileNotFoundError: If no scalars.json holds training records.
    """
    candidates = []
    for stamp in sorted(os.listdir(work_dir)):
        path = osp.join(work_dir, stamp, 'vis_data', 'scalars.json')
        if osp.isfile(path):
            candidates.append(path)
    for path in candidates:
        if any('loss' in r for r in read_json_lines(path)):
            return path
    raise FileNotFoundError(
        f'no vis_data/scalars.json with training records under {work_dir}')


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def seconds_per_epoch(records: Iterable[dict]) -> float:
    """Median logged iteration time times iterations per epoch.

    ``records`` are the lines of mmengine's ``scalars.json``; training
    lines carry ``time`` (mean over a logging window), ``epoch`` and the
    global ``iter``.

    Raises:
        ValueError: If there are no training records.
    """
    train = [r for r in records if 'time' in r and 'epoch' in r
             and 'iter' in r]
    if not train:
        raise ValueError('no training records with time/epoch/iter')
    epochs = max(r['epoch'] for r in train)
    iters_per_epoch = max(r['iter'] for r in train) / epochs
    return median([r['time'] for r in train]) * iters_per_epoch


def final_checkpoint(work_dir: str, epochs: int) -> str:
    """``epoch_{E}.pth`` under ``work_dir``, or what ``last_checkpoint``
    names."""
    path = osp.join(work_dir, f'epoch_{epochs}.pth')
    if osp.isfile(path):
        return path
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            return f.read().strip()
    raise FileNotFoundError(f'no final checkpoint in {work_dir}')


def pick_metrics(raw: Dict[str, object]) -> Dict[str, float]:
    """The table's metrics and the shot-bin sizes from a test metrics dict.

    Missing or non-numeric values (a shot bin without classes is nan)
    become nan.
    """
    out = {}
    for key in [k for k, _ in METRIC_COLUMNS] + list(BIN_KEYS):
        value = raw.get(key)
        out[key] = float(value) if isinstance(value, (int, float)) and \
            not isinstance(value, bool) else math.nan
    return out


# ------------------------------------------------------------ aggregation
def mean_std(values: Sequence[float]) -> Tuple[float, float, int]:
    """Mean and sample standard deviation (ddof=1) of the finite values.

    Returns:
        (mean, std, n); mean is nan when no value is finite, std is nan
        when fewer than two are.
    """
    finite = [float(v) for v in values if not math.isnan(float(v))]
    n = len(finite)
    if n == 0:
        return math.nan, math.nan, 0
    mean = sum(finite) / n
    if n < 2:
        return mean, math.nan, n
    var = sum((v - mean)**2 for v in finite) / (n - 1)
    return mean, math.sqrt(var), n


def format_mean_std(values: Sequence[float], digits: int = 2) -> str:
    """``'mean ± std'``; ``'mean'`` for one value; ``'n/a'`` for none."""
    mean, std, n = mean_std(values)
    if n == 0:
        return 'n/a'
    if n == 1:
        return f'{mean:.{digits}f}'
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def group_by_name(results: Sequence[RunResult]) -> Dict[str, List[RunResult]]:
    """Results per row name, rows in order of first appearance."""
    groups: Dict[str, List[RunResult]] = {}
    for r in results:
        groups.setdefault(r.name, []).append(r)
    return groups


# -------------------------------------------------------------- rendering
def render_table(results: Sequence[RunResult]) -> str:
    """Markdown table, one row per config, mean ± std over its seeds."""
    head = ['config', 'seeds'] + [title for _, title in METRIC_COLUMNS] + [
        's/epoch', 'peak RSS (MiB)', 'run (min)'
    ]
    lines = [
        '| ' + ' | '.join(head) + ' |',
        '|' + '|'.join(['---'] + ['---:'] * (len(head) - 1)) + '|',
    ]
    for name, runs in group_by_name(results).items():
        cells = [name, str(len(runs))]
        for key, _ in METRIC_COLUMNS:
            cells.append(format_mean_std([r.metrics.get(key, math.nan)
                                          for r in runs]))
        cells.append(format_mean_std([r.sec_per_epoch for r in runs], 1))
        cells.append(format_mean_std([r.peak_rss_mb for r in runs], 0))
        cells.append(format_mean_std([r.wall_s / 60 for r in runs], 1))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def describe_bins(results: Sequence[RunResult]) -> str:
    """How many classes fall in each shot bin (from the test metrics)."""
    if not results:
        return ''
    m = results[0].metrics
    counts = [m.get(k, math.nan) for k in BIN_KEYS]
    if any(math.isnan(c) for c in counts):
        return ''
    many, medium, few = (int(c) for c in counts)
    return (f'Shot bins (OLTR: many > 100, few < 20 training images): '
            f'{many} many-shot, {medium} medium-shot, {few} few-shot '
            'classes; a bin without classes shows n/a.')


def render_section(results: Sequence[RunResult], info: Dict[str, str]) -> str:
    """The body of a benchmark section (without its markers).

    ``info`` holds the texts of the header lines: ``title``, ``machine``,
    ``schedule``, ``data``, ``command`` and optionally ``provenance`` and
    ``note``.
    """
    parts = [f'## {info["title"]}', '']
    parts.append(render_table(results))
    if info.get('rows'):
        parts += ['', f'Rows: {info["rows"]}.']
    parts.append('')
    parts.append('Accuracies and macro-F1 in percent on the balanced test '
                 'set, mean ± sample std over seeds (one value: no std). '
                 's/epoch: median logged iteration time × iterations per '
                 'epoch (training only). Peak RSS: largest resident set of '
                 'the training process (os.wait4). run: wall clock of train '
                 '+ test, start-up included.')
    bins = describe_bins(results)
    if bins:
        parts += ['', bins]
    parts += [
        '',
        f'- Data: {info["data"]}',
        f'- Schedule: {info["schedule"]}',
        f'- Machine: {info["machine"]}',
    ]
    if info.get('provenance'):
        parts.append(f'- Code: {info["provenance"]}')
    if info.get('note'):
        parts.append(f'- Note: {info["note"]}')
    parts += ['- Command:', '', '```bash', info['command'], '```']
    return '\n'.join(parts)


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


def git_provenance() -> str:
    """Commit and the tracked files that differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(['git', *args],
                              capture_output=True,
                              text=True,
                              cwd=ROOT).stdout.strip()

    commit = git('rev-parse', '--short', 'HEAD')
    if not commit:
        return ''
    changed = git('diff', 'HEAD', '--name-only').split()
    if not changed:
        return f'commit {commit}'
    listed = ', '.join(f'`{p}`' for p in changed[:5])
    more = f' and {len(changed) - 5} more' if len(changed) > 5 else ''
    return f'commit {commit}, uncommitted changes in {listed}{more}'


def describe_scheduler(sched: dict, epochs: int) -> str:
    """``'LinearLR (epochs 0-1, per iteration)'`` and the like.

    A scheduler without ``end`` runs to the end of training (mmengine).
    """
    per_iter = sched.get('convert_to_iter_based') or not sched.get(
        'by_epoch', True)
    span = f'epochs {sched.get("begin", 0)}-{sched.get("end", epochs)}'
    return (f'{sched["type"]} ({span}, '
            f'{"per iteration" if per_iter else "per epoch"})')


def describe_schedule(config: str, epochs: int) -> str:
    """Epochs, batch size, optimizer and lr schedule as the runs use them."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    opt = cfg.optim_wrapper.optimizer
    extras = ', '.join(f'{k}={opt[k]}' for k in ('lr', 'weight_decay')
                       if k in opt)
    clip = cfg.optim_wrapper.get('clip_grad')
    scheds = ' then '.join(
        describe_scheduler(s, epochs) for s in cfg.get('param_scheduler', []))
    return (f'{epochs} epochs (validation and checkpoint only at the end), '
            f'batch {cfg.train_dataloader.batch_size}, {opt.type} ({extras})'
            + (f', grad clip {clip.max_norm}' if clip else '') +
            (f', lr: {scheds}' if scheds else '') +
            f', {cfg.train_dataloader.num_workers} dataloader workers')


def describe_data(config: str) -> str:
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    ds = cfg.train_dataloader.dataset
    inner = ds.get('dataset', {})
    return (f'{inner.get("type", ds.type)} long-tailed by {ds.type} '
            f'(imbalance ratio {ds.get("imbalance_ratio")}, profile '
            f'{ds.get("profile")!r}, subset seed {ds.get("seed")}, the same '
            'subset for every run seed); tested on the balanced 10,000 test '
            'images')


def describe_row(spec: ConfigSpec) -> str:
    """``name: `path``` plus how a two-stage row is chained."""
    text = f'{spec.name}: `{spec.path}`'
    notes = []
    if spec.after:
        notes.append(f"starts from {spec.after}'s final checkpoint "
                     '(same seed)')
    if spec.prepare:
        notes.append(f'after `{spec.prepare}`')
    if spec.cfg:
        notes.append('with ' + ', '.join(f'`{c}`' for c in spec.cfg))
    if spec.test_only:
        notes.append(f'not trained: tests `{spec.test_only}`')
    return text + (f' ({"; ".join(notes)})' if notes else '')


def command_line(args: argparse.Namespace) -> str:
    """The harness command with every option spelled out."""
    parts = ['python', 'benchmarks/lt_benchmark.py', '--configs']
    parts += [f'{c.name}={c.path}' for c in args.configs]
    parts += ['--seeds'] + [str(s) for s in args.seeds]
    parts += ['--epochs', str(args.epochs), '--section', args.section]
    for c in args.configs:
        if c.after:
            parts += ['--after', f'{c.name}={c.after}']
        if c.prepare:
            parts += ['--prepare', f'{c.name}={c.prepare}']
        for opt in c.cfg:
            parts += ['--row-cfg', f'{c.name}={opt}']
        if c.test_only:
            parts += ['--test-only', f'{c.name}={c.test_only}']
    return shlex.join(parts)


# ------------------------------------------------------------------ runs
def load_result(path: str, spec: ConfigSpec,
                epochs: int) -> Optional[RunResult]:
    """A run saved by an earlier invocation, if it used the same config and
    epochs; else None."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        data = json.load(f)
    if data.pop('epochs', None) != epochs or data.pop('config',
                                                      None) != spec.path:
        return None
    data['name'] = spec.name
    return RunResult(**data)


def run_one(spec: ConfigSpec, seed: int, args: argparse.Namespace,
            specs: Optional[Dict[str, ConfigSpec]] = None) -> RunResult:
    """Train and test one (config, seed) in a fresh work dir.

    A row with ``after`` starts from the final checkpoint of that (earlier)
    row's run with the same seed (``load_from``); ``prepare`` runs first
    (e.g. a tool that writes data the row's config reads); a ``test_only``
    row is not trained and tests the checkpoint it names.
    """
    run_dir = run_dir_of(args, spec.name, seed)
    saved = osp.join(run_dir, RESULT_FILE)
    if args.reuse:
        earlier = load_result(saved, spec, args.epochs)
        if earlier is not None:
            return earlier
    if osp.isdir(run_dir):
        shutil.rmtree(run_dir)
    os.makedirs(run_dir)

    context = dict(python=args.python, run_dir=run_dir, seed=str(seed))
    extra = []
    if spec.after:
        stage1 = (specs or {})[spec.after]
        stage1_dir = run_dir_of(args, stage1.name, seed)
        context.update(
            stage1_config=stage1.path,
            stage1_dir=stage1_dir,
            stage1_checkpoint=final_checkpoint(stage1_dir, args.epochs))
        if not spec.test_only:
            extra.append(f'load_from={context["stage1_checkpoint"]}')
    extra += [fill_placeholders(c, context, '--row-cfg') for c in spec.cfg]
    prepare_wall = 0.0
    if spec.prepare:
        cmd = shlex.split(
            fill_placeholders(spec.prepare, context, '--prepare'))
        rc, prepare_wall, _ = run_measured(cmd,
                                           osp.join(run_dir, 'prepare.log'))
        if rc != 0:
            raise RuntimeError(f'preparing {spec.name} seed {seed} failed '
                               f'(exit {rc}); see {run_dir}/prepare.log')

    if spec.test_only:
        checkpoint = fill_placeholders(spec.test_only, context,
                                       '--test-only')
        scalars, train_wall, rss, spe = [], 0.0, math.nan, math.nan
    else:
        rc, train_wall, rss = run_measured(
            train_command(args.python, spec.path, run_dir, args.epochs, seed,
                          extra), osp.join(run_dir, 'train.log'))
        if rc != 0:
            raise RuntimeError(f'training {spec.name} seed {seed} failed '
                               f'(exit {rc}); see {run_dir}/train.log')
        scalars = read_json_lines(find_scalars(run_dir))
        spe = seconds_per_epoch(scalars)
        checkpoint = final_checkpoint(run_dir, args.epochs)
    metrics_path = osp.join(run_dir, 'test_metrics.json')
    test_cmd = test_command(args.python, spec.path, checkpoint, run_dir,
                            metrics_path)
    if spec.test_only and extra:
        test_cmd += ['--cfg-options'] + extra
    rc, test_wall, _ = run_measured(test_cmd, osp.join(run_dir, 'test.log'))
    if rc != 0:
        raise RuntimeError(f'testing {spec.name} seed {seed} failed '
                           f'(exit {rc}); see {run_dir}/test.log')
    with open(metrics_path) as f:
        metrics = pick_metrics(json.load(f))
    val_top1 = [r['long_tail/top1'] for r in scalars if 'long_tail/top1' in r]
    result = RunResult(
        name=spec.name,
        seed=seed,
        metrics=metrics,
        sec_per_epoch=spe,
        peak_rss_mb=rss,
        wall_s=prepare_wall + train_wall + test_wall,
        extra=dict(
            prepare_wall_s=prepare_wall,
            train_wall_s=train_wall,
            test_wall_s=test_wall,
            val_top1=val_top1[-1] if val_top1 else math.nan))
    test_top1 = metrics['long_tail/top1']
    if val_top1 and abs(val_top1[-1] - test_top1) > 0.01:
        print(f'[bench] warning: {spec.name} seed {seed}: final validation '
              f'top-1 {val_top1[-1]:.2f} differs from the test top-1 '
              f'{test_top1:.2f} on the same images', flush=True)
    with open(saved, 'w') as f:
        json.dump(
            dict(vars(result), epochs=args.epochs, config=spec.path),
            f,
            indent=2)
    return result


def write_report(path: str, section: str, body: str) -> None:
    text = ''
    if osp.isfile(path):
        with open(path) as f:
            text = f.read()
    new = replace_section(text, section, body)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(new)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train configs on Fashion-MNIST-LT with a fixed '
        'schedule and several seeds; write a section of docs/benchmarks.md')
    parser.add_argument(
        '--configs',
        nargs='+',
        type=parse_config_spec,
        default=[parse_config_spec(c) for c in DEFAULT_CONFIGS],
        help='rows as NAME=PATH (or PATH: the name is the file stem)')
    parser.add_argument(
        '--seeds', nargs='+', type=int, default=list(DEFAULT_SEEDS))
    parser.add_argument(
        '--epochs',
        type=int,
        default=DEFAULT_EPOCHS,
        help='fixed schedule for every row (>= 2: the lr warm-up takes one '
        'epoch)')
    parser.add_argument('--work-dir', default=DEFAULT_WORK_DIR)
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument(
        '--section',
        type=check_section_name,
        default=DEFAULT_SECTION,
        help='section of --out to rewrite (between <!-- bench:NAME:start '
        '--> and <!-- bench:NAME:end -->)')
    parser.add_argument(
        '--title', help='section heading (default: from --section)')
    parser.add_argument(
        '--note', help='a line of context added to the section')
    parser.add_argument(
        '--python',
        default=sys.executable,
        help='interpreter for tools/train.py and tools/test.py')
    parser.add_argument(
        '--reuse',
        action='store_true',
        help='keep finished runs (same config and epochs) of an earlier, '
        'interrupted invocation instead of training them again')
    parser.add_argument(
        '--after',
        action='append',
        default=[],
        metavar='ROW=STAGE1',
        help='two-stage rows: ROW starts from the final checkpoint of the '
        'earlier row STAGE1 with the same seed (load_from)')
    parser.add_argument(
        '--prepare',
        action='append',
        default=[],
        metavar='ROW=COMMAND',
        help='a command run before training ROW (e.g. a data generator); '
        'placeholders: ' + ', '.join(f'{{{p}}}' for p in PLACEHOLDERS))
    parser.add_argument(
        '--row-cfg',
        action='append',
        default=[],
        metavar='ROW=KEY=VALUE',
        help='an extra --cfg-options item for ROW (placeholders as '
        '--prepare)')
    parser.add_argument(
        '--test-only',
        action='append',
        default=[],
        metavar='ROW=CHECKPOINT',
        help='ROW is not trained: its config is tested with CHECKPOINT '
        '(placeholders as --prepare), e.g. a checkpoint --prepare wrote')
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error(f'--epochs must be >= 2, got {args.epochs}')
    names = [c.name for c in args.configs]
    if len(set(names)) != len(names):
        parser.error(f'row names must be unique, got {names}')
    try:
        attach_row_options(args)
    except ValueError as e:
        parser.error(str(e))
    return args


def attach_row_options(args: argparse.Namespace) -> None:
    """Move ``--after/--prepare/--row-cfg/--test-only`` onto their rows.

    Raises:
        ValueError: For an unknown row, a malformed item, a row given
            twice, or a stage-1 row that is not listed before its row.
    """
    order = {c.name: i for i, c in enumerate(args.configs)}
    by_name = {c.name: c for c in args.configs}

    def split(option: str, item: str) -> Tuple[ConfigSpec, str]:
        row, sep, value = item.partition('=')
        if not sep or not value:
            raise ValueError(f'{option} {item!r}: expected ROW=VALUE')
        if row not in by_name:
            raise ValueError(f'{option} {item!r}: no row named {row!r} in '
                             f'--configs ({list(by_name)})')
        return by_name[row], value

    for option, attr in (('--after', 'after'), ('--prepare', 'prepare'),
                         ('--test-only', 'test_only')):
        for item in getattr(args, attr):
            spec, value = split(option, item)
            if getattr(spec, attr) is not None:
                raise ValueError(f'{option} given twice for row {spec.name!r}')
            setattr(spec, attr, value)
    for item in args.row_cfg:
        spec, value = split('--row-cfg', item)
        if '=' not in value:
            raise ValueError(f'--row-cfg {item!r}: expected ROW=KEY=VALUE')
        spec.cfg.append(value)
    for spec in args.configs:
        if spec.after is None:
            continue
        if spec.after not in order:
            raise ValueError(f'--after {spec.name}={spec.after}: no row named '
                             f'{spec.after!r} in --configs')
        if order[spec.after] >= order[spec.name]:
            raise ValueError(f'--after {spec.name}={spec.after}: the stage-1 '
                             'row must come before its row in --configs')


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    for spec in args.configs:
        if not osp.isfile(spec.path):
            print(f'error: config {spec.path} not found', file=sys.stderr)
            return 1
    info = dict(
        title=args.title or f'Fashion-MNIST-LT (IR 100): {args.section}',
        machine=machine_info(args.python),
        schedule=describe_schedule(args.configs[0].path, args.epochs),
        data=describe_data(args.configs[0].path),
        provenance=git_provenance(),
        note=args.note,
        rows='; '.join(describe_row(c) for c in args.configs),
        command=command_line(args))
    results = []
    for spec in args.configs:
        for seed in args.seeds:
            print(f'[bench] {spec.name} seed {seed} ...', flush=True)
            r = run_one(spec, seed, args,
                        {c.name: c for c in args.configs})
            results.append(r)
            print(f'[bench] {spec.name} seed {seed}: top-1 '
                  f'{r.metrics["long_tail/top1"]:.2f}, '
                  f'{r.sec_per_epoch:.1f} s/epoch, '
                  f'{r.peak_rss_mb:.0f} MiB, {r.wall_s / 60:.1f} min',
                  flush=True)
    body = render_section(results, info)
    write_report(args.out, args.section, body)
    print(body)
    print(f'\nwritten to {args.out} (section {args.section!r})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
