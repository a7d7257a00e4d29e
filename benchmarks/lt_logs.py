"""Log parsing and statistics of ``benchmarks/lt_benchmark.py``: what
one run measured, read from mmengine's ``scalars.json`` and the test's
metrics, and the mean ± std over seeds."""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

# (metric key of mmlt's LongTailMetric, column title)
METRIC_COLUMNS = (
    ('long_tail/top1', 'top-1'),
    ('long_tail/balanced_accuracy', 'balanced'),
    ('long_tail/many_shot', 'many'),
    ('long_tail/medium_shot', 'medium'),
    ('long_tail/few_shot', 'few'),
    ('long_tail/macro_f1', 'macro-F1'),
)
# the group-lift sections' columns (benchmarks/lt_protocol.py): each group's
# accuracy on the paired test set, and what the classes get
GROUP_COLUMNS = (
    ('long_tail/group1_accuracy', 'group 1'),
    ('long_tail/group0_accuracy', 'group 0'),
    ('long_tail/balanced_accuracy', 'balanced'),
    ('long_tail/few_shot', 'few'),
)
# the recipes section's columns (benchmarks/lt_recipes.py): the reference
# project's summary figures (macro-F1, the worst class's F1 and the spread
# of the per-class F1) beside the accuracies and the weak group's
RECIPE_COLUMNS = (
    ('long_tail/top1', 'top-1'),
    ('long_tail/balanced_accuracy', 'balanced'),
    ('long_tail/macro_f1', 'macro-F1'),
    ('long_tail/worst_class_f1', 'worst-class F1'),
    ('long_tail/per_class_f1_std', 'per-class F1 std'),
    ('long_tail/group1_accuracy', 'group 1'),
    ('long_tail/group0_accuracy', 'group 0'),
)
BIN_KEYS = ('long_tail/num_many', 'long_tail/num_medium', 'long_tail/num_few')
RESULT_FILE = 'result.json'


@dataclass
class RunResult:
    """What one (config, seed) run measured."""
    name: str
    seed: int
    metrics: Dict[str, float]
    sec_per_epoch: float
    peak_rss_mb: float
    wall_s: float
    # phase times and the last validation (floats); ``starts_from``: the
    # runs of earlier rows a run started from (row name to timestamp)
    extra: Dict[str, Any] = field(default_factory=dict)


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


def run_stamp_of(work_dir: str) -> Optional[str]:
    """The timestamp folder (``YYYYMMDD_HHMMSS``) of the training run kept
    in ``work_dir`` (the one :func:`find_scalars` reads), which tells one
    run of a row from another; None where ``work_dir`` holds no training
    (a test-only row)."""
    try:
        return osp.basename(osp.dirname(osp.dirname(find_scalars(work_dir))))
    except FileNotFoundError:
        return None


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
    """The tables' metrics (:data:`METRIC_COLUMNS`, :data:`GROUP_COLUMNS`
    and :data:`RECIPE_COLUMNS`) and the shot-bin sizes from a test metrics
    dict.

    Missing or non-numeric values (a shot bin without classes is nan)
    become nan.
    """
    out = {}
    keys = dict.fromkeys(
        k for k, _ in METRIC_COLUMNS + GROUP_COLUMNS + RECIPE_COLUMNS)
    for key in list(keys) + list(BIN_KEYS):
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


