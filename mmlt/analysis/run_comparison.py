"""Compare training runs from what they already wrote to their work dirs.

A run's work dir holds, from MMEngine: the dumped config (``<name>.py``),
one ``<timestamp>/`` folder per launch with ``vis_data/scalars.json`` (the
training log: loss, lr, ``time`` per iteration, ``memory`` on GPUs, and the
validation metrics) and ``<timestamp>.json`` (a test run's metrics); from
mmlt's ``LongTailMetric``: ``per_class.json`` (the last evaluation that
saved per-class files: summary metrics and, per class, training count and
recall). :func:`load_run` reads them; :func:`comparison_rows` makes one
table row per run with the headline metrics, seconds per epoch, peak memory
and the config settings that differ between the runs.

Which metrics: those of the newest evaluation among ``per_class.json``, a
test log and the last validation in the training log (by file time); the
row says which (``metrics_from``).
"""
import csv
import glob
import json
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'RunRecord', 'load_run', 'differing_settings', 'comparison_rows',
    'format_markdown', 'write_csv', 'seconds_per_epoch',
    'accuracy_vs_count_runs_figure', 'training_curves_figure'
]

_PREFIX = 'long_tail/'
#: Config keys that differ between runs for reasons other than the method.
IGNORED_SETTINGS = ('work_dir', 'experiment_name', 'launcher', 'load_from',
                    'resume', 'filename', 'cfg_options', 'custom_imports',
                    'train_dataloader.pin_memory', 'val_dataloader.pin_memory',
                    'test_dataloader.pin_memory',
                    'train_dataloader.persistent_workers',
                    'val_dataloader.persistent_workers',
                    'test_dataloader.persistent_workers')
#: Headline columns of the table: (column, metric key without the prefix).
HEADLINE = (('top1', 'top1'), ('balanced', 'balanced_accuracy'),
            ('many', 'many_shot'), ('medium', 'medium_shot'),
            ('few', 'few_shot'), ('macro_f1', 'macro_f1'),
            ('worst_acc', 'worst_class_accuracy'))


@dataclass
class RunRecord:
    """What one work dir says about its run."""
    name: str
    work_dir: str
    metrics: Dict[str, Any]
    metrics_from: str
    config: Dict[str, Any] = field(default_factory=dict)
    config_file: Optional[str] = None
    per_class: Optional[List[Dict[str, Any]]] = None
    train_log: List[Dict[str, Any]] = field(default_factory=list)
    val_log: List[Dict[str, Any]] = field(default_factory=list)


def _read_json_lines(path: str) -> List[Dict[str, Any]]:
    rows = []
    with open(path) as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}:{line_no}: not a JSON line of '
                                 f"MMEngine's logger: {e.msg}") from e
    return rows


def _strip(metrics: Mapping[str, Any]) -> Dict[str, Any]:
    return {(k[len(_PREFIX):] if k.startswith(_PREFIX) else k): v
            for k, v in metrics.items()}


def _is_metric_row(row: Mapping[str, Any]) -> bool:
    return any(k.startswith(_PREFIX) for k in row)


def _launch_dirs(work_dir: str) -> List[str]:
    """The ``<timestamp>/`` folders MMEngine made, oldest first."""
    found = [d for d in glob.glob(osp.join(work_dir, '*'))
             if osp.isdir(d) and osp.basename(d)[:8].isdigit()]
    return sorted(found, key=osp.basename)


def _flatten(value: Any, prefix: str = '') -> Dict[str, Any]:
    if isinstance(value, Mapping):
        flat: Dict[str, Any] = {}
        for key, sub in value.items():
            flat.update(_flatten(sub, f'{prefix}{key}.'))
        return flat
    return {prefix[:-1]: value}


def _load_config(work_dir: str, training_launches: Sequence[str]
                 ) -> Tuple[Dict[str, Any], Optional[str]]:
    """The config the run trained with (the newest training launch's
    dump, else the one MMEngine writes beside the checkpoints) and the
    config's name (the dump beside the checkpoints is named after it)."""
    from mmengine.config import Config
    named = sorted(glob.glob(osp.join(work_dir, '*.py')))
    candidates = [osp.join(d, 'vis_data', 'config.py')
                  for d in reversed(training_launches)] + named
    for path in candidates:
        if osp.isfile(path):
            cfg = Config.fromfile(path, import_custom_modules=False)
            return _flatten(cfg.to_dict()), (named[0] if named else path)
    return {}, None


def _launch_start(launch: str) -> float:
    """When a launch began, from its ``%Y%m%d_%H%M%S`` folder name."""
    import time
    try:
        return time.mktime(time.strptime(osp.basename(launch)[:15],
                                         '%Y%m%d_%H%M%S'))
    except ValueError:
        return os.path.getmtime(launch)


def load_run(work_dir: str, name: Optional[str] = None) -> RunRecord:
    """Read a run's logs, metrics and config.

    Raises:
        FileNotFoundError: If ``work_dir`` is not a directory.
        ValueError: If it holds no evaluation metrics at all (neither a
            ``per_class.json`` nor a validation/test result in the logs).
    """
    if not osp.isdir(work_dir):
        raise FileNotFoundError(f'work dir not found: {work_dir!r}')
    name = name or osp.basename(osp.normpath(work_dir))
    launches = _launch_dirs(work_dir)
    train_log: List[Dict[str, Any]] = []
    val_log: List[Dict[str, Any]] = []
    candidates: List[Tuple[float, str, Dict[str, Any]]] = []
    training_launches = []
    newest_start = {}
    for launch in launches:
        scalars = osp.join(launch, 'vis_data', 'scalars.json')
        if osp.isfile(scalars):
            rows = _read_json_lines(scalars)
            trained = [r for r in rows if 'loss' in r and 'iter' in r]
            train_log += trained
            if trained:
                training_launches.append(launch)
            vals = [r for r in rows if _is_metric_row(r)]
            val_log += vals
            if vals:
                newest_start[os.path.getmtime(scalars)] = \
                    _launch_start(launch)
                candidates.append(
                    (os.path.getmtime(scalars),
                     f'validation at epoch {vals[-1].get("step", "?")} '
                     f'({osp.relpath(scalars, work_dir)})', vals[-1]))
        test_log = osp.join(launch, f'{osp.basename(launch)}.json')
        if osp.isfile(test_log):
            tests = [r for r in _read_json_lines(test_log)
                     if _is_metric_row(r)]
            if tests:
                newest_start[os.path.getmtime(test_log)] = \
                    _launch_start(launch)
                candidates.append((os.path.getmtime(test_log),
                                   f'test ({osp.relpath(test_log, work_dir)})',
                                   tests[-1]))
    per_class = None
    per_class_file = osp.join(work_dir, 'per_class.json')
    if osp.isfile(per_class_file):
        with open(per_class_file) as f:
            payload = json.load(f)
        if not isinstance(payload, dict) or 'per_class' not in payload:
            raise ValueError(f'{per_class_file}: expected LongTailMetric\'s '
                             '{"summary": ..., "per_class": [...]}')
        per_class = payload['per_class']
        written = os.path.getmtime(per_class_file)
        # the same evaluation as the newest log (or a later one): prefer
        # per_class.json, whose summary keeps every field
        if candidates:
            newest = max(candidates, key=lambda c: c[0])[0]
            if written >= newest_start.get(newest, newest):
                written = max(written, newest + 1e-3)
        candidates.append((written, 'per_class.json',
                           payload.get('summary', {})))
    if not candidates:
        raise ValueError(
            f'no metrics in work dir {work_dir!r}: no per_class.json and no '
            'validation or test result in its logs (train with validation, '
            'or run tools/test.py CONFIG CHECKPOINT --work-dir on it)')
    _, source, metrics = max(candidates, key=lambda c: c[0])
    config, config_file = _load_config(work_dir, training_launches)
    return RunRecord(name, work_dir, _strip(metrics), source, config,
                     config_file, per_class, train_log,
                     [_strip(r) for r in val_log])


def seconds_per_epoch(train_log: Sequence[Mapping[str, Any]]
                      ) -> Optional[float]:
    """Mean seconds per training epoch: per epoch, the mean logged
    ``time`` per iteration times the iterations of that epoch; the first
    epoch (warm-up of data loading) is left out when there are others."""
    by_epoch: Dict[int, List[Mapping[str, Any]]] = {}
    for row in train_log:
        if 'time' in row and 'epoch' in row:
            by_epoch.setdefault(int(row['epoch']), []).append(row)
    if not by_epoch:
        return None
    epochs = sorted(by_epoch)
    last_iter = {e: max(int(r['iter']) for r in by_epoch[e]) for e in epochs}
    seconds = []
    for i, epoch in enumerate(epochs):
        start = last_iter[epochs[i - 1]] if i else 0
        iters = last_iter[epoch] - start
        mean_time = float(np.mean([r['time'] for r in by_epoch[epoch]]))
        seconds.append(mean_time * iters)
    used = seconds[1:] if len(seconds) > 1 else seconds
    return float(np.mean(used))


def _peak_memory(train_log: Sequence[Mapping[str, Any]]) -> Optional[float]:
    values = [r['memory'] for r in train_log if 'memory' in r]
    return float(max(values)) if values else None


def differing_settings(records: Sequence[RunRecord],
                       ignore: Sequence[str] = IGNORED_SETTINGS
                       ) -> Dict[str, List[Any]]:
    """Config keys (dotted) whose values differ between the runs; a key a
    run does not have shows as ``None`` for it."""
    keys = sorted({k for r in records for k in r.config})
    differing = {}
    for key in keys:
        if any(key == i or key.startswith(i + '.') for i in ignore):
            continue
        values = [r.config.get(key, None) for r in records]
        if any(repr(v) != repr(values[0]) for v in values[1:]):
            differing[key] = values
    return differing


def comparison_rows(records: Sequence[RunRecord],
                    max_settings: int = 12) -> Tuple[List[str], List[list]]:
    """Header and one row per run: name, config file, headline metrics,
    per-group accuracy, s/epoch, peak memory, metrics source, and up to
    ``max_settings`` differing config settings."""
    if not records:
        raise ValueError('no runs to compare')
    groups = sorted({k for r in records for k in r.metrics
                     if k.startswith('group') and k.endswith('_accuracy')
                     and k[5:-9].isdigit()}, key=lambda k: int(k[5:-9]))
    settings = differing_settings(records) if len(records) > 1 else {}
    shown = list(settings)[:max_settings]
    header = (['run', 'config'] + [c for c, _ in HEADLINE] + ['worst_class'] +
              [g.replace('_accuracy', '') for g in groups] +
              ['s/epoch', 'peak_mem_MB', 'metrics_from'] + shown)
    rows = []
    for i, rec in enumerate(records):
        row = [rec.name, osp.basename(rec.config_file or '') or None]
        row += [rec.metrics.get(key) for _, key in HEADLINE]
        row.append(rec.metrics.get('worst_class'))
        row += [rec.metrics.get(g) for g in groups]
        row += [seconds_per_epoch(rec.train_log),
                _peak_memory(rec.train_log), rec.metrics_from]
        row += [settings[key][i] for key in shown]
        rows.append(row)
    return header, rows


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 'n/a'
    if isinstance(value, float):
        return f'{value:.2f}'
    return str(value).replace('|', '\\|').replace('\n', ' ')


def format_markdown(header: Sequence[str], rows: Sequence[Sequence[Any]]
                    ) -> str:
    """A markdown table (``n/a`` for what a run did not record, e.g. peak
    memory on CPU, where MMEngine logs none)."""
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(_cell(v) for v in row) + ' |' for row in rows]
    return '\n'.join(lines) + '\n'


def write_csv(header: Sequence[str], rows: Sequence[Sequence[Any]],
              path: str) -> str:
    """The table as CSV (empty cells for what a run did not record)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(['' if v is None else v for v in row])
    return path


def accuracy_vs_count_runs_figure(records: Sequence[RunRecord]):
    """Per-class recall against training count, every run on one plot (log
    x axis). Runs without ``per_class.json`` are left out (say so in the
    legend title)."""
    from mmlt.visualization.plots import _new_figure
    fig = _new_figure((8, 5))
    ax = fig.add_subplot(1, 1, 1)
    missing = []
    for rec in records:
        if not rec.per_class:
            missing.append(rec.name)
            continue
        counts = np.array([max(r['train_count'] or 0, 1)
                           for r in rec.per_class], dtype=float)
        recall = np.array([np.nan if r['recall'] is None else r['recall']
                           for r in rec.per_class], dtype=float)
        order = np.argsort(counts, kind='stable')
        ax.plot(counts[order], recall[order], marker='o', label=rec.name)
    ax.set_xscale('log')
    ax.set_xlabel('training images of the class (log)')
    ax.set_ylabel('recall (%)')
    ax.set_ylim(-2, 102)
    ax.set_title('Per-class accuracy against training count')
    ax.grid(True, alpha=0.3)
    if any(rec.per_class for rec in records):
        ax.legend(title=(f'no per_class.json: {", ".join(missing)}'
                         if missing else None), fontsize='small')
    return fig


def training_curves_figure(records: Sequence[RunRecord],
                           metric: str = 'balanced_accuracy'):
    """Training loss against iteration and the validation ``metric``
    against epoch, one line per run."""
    from mmlt.visualization.plots import _new_figure
    fig = _new_figure((11, 4.5))
    loss_ax = fig.add_subplot(1, 2, 1)
    val_ax = fig.add_subplot(1, 2, 2)
    for rec in records:
        if rec.train_log:
            loss_ax.plot([r['iter'] for r in rec.train_log],
                         [r['loss'] for r in rec.train_log], label=rec.name)
        points = [(r.get('step'), r[metric]) for r in rec.val_log
                  if metric in r and r.get('step') is not None]
        if points:
            val_ax.plot(*zip(*points), marker='o', label=rec.name)
    loss_ax.set_xlabel('iteration')
    loss_ax.set_ylabel('training loss')
    loss_ax.set_yscale('log')
    val_ax.set_xlabel('epoch')
    from matplotlib.ticker import MaxNLocator
    val_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    val_ax.set_ylabel(f'validation {metric} (%)')
    for ax in (loss_ax, val_ax):
        ax.grid(True, alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize='small')
    return fig
