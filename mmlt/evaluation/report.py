"""Text report and per-class files of :class:`mmlt.evaluation.LongTailMetric`.

Pure functions from already computed numbers to a string or to files, so
the metric itself only decides *what* to report.
"""
import csv
import json
import math
import os
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

PathLike = Union[str, 'os.PathLike[str]']

#: Columns of ``per_class.csv``, in order.
CSV_FIELDS = ('class_index', 'class_name', 'shot', 'train_count',
              'test_count', 'precision', 'recall', 'f1')


def per_class_rows(class_names: Sequence[str], support: np.ndarray,
                   precision: np.ndarray, recall: np.ndarray, f1: np.ndarray,
                   train_counts: Optional[np.ndarray] = None,
                   shots: Optional[Sequence[str]] = None
                   ) -> List[Dict[str, Any]]:
    """One dict per class with the fields of :data:`CSV_FIELDS`.

    Args:
        class_names (Sequence[str]): Names of the C classes.
        support (np.ndarray): Test images per class, shape ``(C,)``.
        precision (np.ndarray): Per-class precision in percent.
        recall (np.ndarray): Per-class recall (accuracy) in percent.
        f1 (np.ndarray): Per-class F1 in percent.
        train_counts (np.ndarray, optional): Training images per class.
        shots (Sequence[str], optional): Shot bin name of each class.

    Returns:
        List[Dict[str, Any]]: C rows; unknown train counts and shot bins
        are None.
    """
    rows = []
    for i, name in enumerate(class_names):
        rows.append({
            'class_index': i,
            'class_name': str(name),
            'shot': None if shots is None else shots[i],
            'train_count':
            None if train_counts is None else int(train_counts[i]),
            'test_count': int(support[i]),
            'precision': float(precision[i]),
            'recall': float(recall[i]),
            'f1': float(f1[i]),
        })
    return rows


def _fmt(value: Optional[float], digits: int = 2) -> str:
    """Format a percentage, showing nan and missing values readably."""
    if value is None:
        return '-'
    if isinstance(value, float) and math.isnan(value):
        return 'n/a'
    return f'{value:.{digits}f}'


def format_report(metrics: Mapping[str, Any],
                  rows: Sequence[Mapping[str, Any]],
                  many_shot_thr: Optional[float] = None,
                  few_shot_thr: Optional[float] = None) -> str:
    """Readable summary plus per-class table.

    Args:
        metrics (Mapping[str, Any]): Output of
            :meth:`LongTailMetric.compute_metrics` (without prefix).
        rows (Sequence[Mapping[str, Any]]): Output of
            :func:`per_class_rows`.
        many_shot_thr (float, optional): Many-shot threshold, shown when the
            shot accuracies are present.
        few_shot_thr (float, optional): Few-shot threshold, likewise.

    Returns:
        str: A multi-line report.
    """
    lines = ['Long-tail evaluation report', '=' * 27]
    topk = sorted((k for k in metrics if k.startswith('top')),
                  key=lambda k: int(k[3:]))
    for key in topk:
        lines.append(f'{key + " accuracy":<26}: {_fmt(metrics[key])}')
    lines.append(f'{"balanced accuracy":<26}: '
                 f'{_fmt(metrics["balanced_accuracy"])}')
    if 'many_shot' in metrics:
        lines.append(
            f'{f"many-shot (>{many_shot_thr:g})":<26}: '
            f'{_fmt(metrics["many_shot"])} ({metrics["num_many"]} classes)')
        lines.append(
            f'{f"medium-shot ({few_shot_thr:g}-{many_shot_thr:g})":<26}: '
            f'{_fmt(metrics["medium_shot"])} '
            f'({metrics["num_medium"]} classes)')
        lines.append(
            f'{f"few-shot (<{few_shot_thr:g})":<26}: '
            f'{_fmt(metrics["few_shot"])} ({metrics["num_few"]} classes)')
    else:
        lines.append(f'{"many/medium/few-shot":<26}: skipped (training '
                     'class counts unknown)')
    lines.append(f'{"macro F1":<26}: {_fmt(metrics["macro_f1"])}')
    lines.append(f'{"weighted F1":<26}: {_fmt(metrics["weighted_f1"])}')
    worst = rows[metrics['worst_class']]['class_name']
    lines.append(f'{"worst class":<26}: {worst} '
                 f'({_fmt(metrics["worst_class_accuracy"])})')
    groups = sorted((k for k in metrics
                     if k.startswith('group') and k.endswith('_accuracy')),
                    key=lambda k: int(k[5:-9]))
    for key in groups:
        lines.append(f'{"group " + key[5:-9] + " accuracy":<26}: '
                     f'{_fmt(metrics[key])}')

    name_width = max([len('class')] + [len(r['class_name']) for r in rows])
    name_width = min(name_width, 40)
    header = (f'{"idx":>5} {"class":<{name_width}} {"shot":<6} '
              f'{"train":>7} {"test":>6} {"prec":>7} {"recall":>7} '
              f'{"F1":>7}')
    lines += ['', 'Per-class results (percent)', header, '-' * len(header)]
    for r in rows:
        train = '-' if r['train_count'] is None else str(r['train_count'])
        shot = r['shot'] or '-'
        lines.append(f'{r["class_index"]:>5} '
                     f'{r["class_name"][:name_width]:<{name_width}} '
                     f'{shot:<6} {train:>7} {r["test_count"]:>6} '
                     f'{_fmt(r["precision"]):>7} {_fmt(r["recall"]):>7} '
                     f'{_fmt(r["f1"]):>7}')
    return '\n'.join(lines)


def _prepare(path: PathLike) -> str:
    """Return ``path`` as str after creating its folder."""
    path = os.fspath(path)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    return path


def write_per_class_csv(rows: Sequence[Mapping[str, Any]],
                        out_file: PathLike) -> str:
    """Write one CSV row per class (header :data:`CSV_FIELDS`).

    Args:
        rows (Sequence[Mapping[str, Any]]): Output of :func:`per_class_rows`.
        out_file (str | os.PathLike): CSV file to write.

    Returns:
        str: ``out_file``.
    """
    out_file = _prepare(out_file)
    with open(out_file, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({
                k: '' if row[k] is None else row[k]
                for k in CSV_FIELDS
            })
    return out_file


def _json_safe(value: Any) -> Any:
    """Replace nan/inf by None and NumPy scalars by Python ones."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_per_class_json(summary: Mapping[str, Any],
                         rows: Sequence[Mapping[str, Any]],
                         out_file: PathLike) -> str:
    """Write ``{"summary": ..., "per_class": [...]}`` as strict JSON.

    Non-finite numbers (e.g. the accuracy of an empty shot bin) become
    ``null``.

    Args:
        summary (Mapping[str, Any]): Scalar metrics and settings.
        rows (Sequence[Mapping[str, Any]]): Output of :func:`per_class_rows`.
        out_file (str | os.PathLike): JSON file to write.

    Returns:
        str: ``out_file``.
    """
    out_file = _prepare(out_file)
    payload = _json_safe({'summary': dict(summary), 'per_class': list(rows)})
    with open(out_file, 'w', encoding='utf-8') as f:
        json.dump(payload, f, indent=2, allow_nan=False)
    return out_file
