"""Text report and per-class files of :class:`mmlt.evaluation.LongTailMetric`.

Pure functions from already computed numbers to a string or to files, so
the metric itself only decides *what* to report.
"""
import csv
import json
import math
import os
import os.path as osp
from typing import (Any, Dict, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import numpy as np

PathLike = Union[str, 'os.PathLike[str]']

#: Columns of ``per_class.csv``, in order; the group columns of
#: :func:`group_columns` follow them.
CSV_FIELDS = ('class_index', 'class_name', 'shot', 'train_count',
              'test_count', 'precision', 'recall', 'f1')

#: The printed report shows the class x group recall table for at most this
#: many groups (wider tables stop being readable in a log).
MAX_REPORT_GROUPS = 6


def group_columns(group_id: int) -> Tuple[str, str]:
    """Row keys (and CSV columns) of one group: test images of the class in
    the group, and the class's recall within the group."""
    return f'group{group_id}_test_count', f'group{group_id}_recall'


def per_class_rows(class_names: Sequence[str],
                   support: np.ndarray,
                   precision: np.ndarray,
                   recall: np.ndarray,
                   f1: np.ndarray,
                   train_counts: Optional[np.ndarray] = None,
                   shots: Optional[Sequence[str]] = None,
                   group_ids: Optional[Sequence[int]] = None,
                   group_support: Optional[np.ndarray] = None,
                   group_recall: Optional[np.ndarray] = None
                   ) -> List[Dict[str, Any]]:
    """One dict per class with the fields of :data:`CSV_FIELDS`, then the
    :func:`group_columns` of each group when groups are given.

    Args:
        class_names (Sequence[str]): Names of the C classes.
        support (np.ndarray): Test images per class, shape ``(C,)``.
        precision (np.ndarray): Per-class precision in percent.
        recall (np.ndarray): Per-class recall (accuracy) in percent.
        f1 (np.ndarray): Per-class F1 in percent.
        train_counts (np.ndarray, optional): Training images per class.
        shots (Sequence[str], optional): Shot bin name of each class.
        group_ids (Sequence[int], optional): The G groups present, in
            column order.
        group_support (np.ndarray, optional): Test images of each class in
            each group, shape ``(G, C)``; needed with ``group_ids``.
        group_recall (np.ndarray, optional): Recall within each group in
            percent, shape ``(G, C)`` (``nan`` where the group has no image
            of the class); needed with ``group_ids``.

    Returns:
        List[Dict[str, Any]]: C rows; unknown train counts and shot bins
        are None, and so is the recall of a class within a group that has no
        image of it (its count is 0). A class without test images (not
        validated, ``test_count`` 0) has recall and F1 None: it has no
        recall, and an F1 of 0 would be a convention, not a measurement. Its
        precision stays 0 (any prediction of it is wrong).

    Raises:
        ValueError: If ``group_ids`` comes without ``group_support`` and
            ``group_recall``, or their shapes are not ``(G, C)``.
    """
    num = len(class_names)
    if group_ids is not None:
        expected = (len(group_ids), num)
        for name, array in (('group_support', group_support),
                            ('group_recall', group_recall)):
            shape = None if array is None else np.shape(array)
            if shape != expected:
                raise ValueError(f'{name} must have shape {expected} '
                                 f'(groups x classes), got {shape}.')
    rows = []
    for i, name in enumerate(class_names):
        row = {
            'class_index': i,
            'class_name': str(name),
            'shot': None if shots is None else shots[i],
            'train_count':
            None if train_counts is None else int(train_counts[i]),
            'test_count': int(support[i]),
            'precision': float(precision[i]),
            'recall': float(recall[i]) if support[i] else None,
            'f1': float(f1[i]) if support[i] else None,
        }
        for g, group in enumerate(() if group_ids is None else group_ids):
            count_key, recall_key = group_columns(int(group))
            count = int(group_support[g][i])
            row[count_key] = count
            row[recall_key] = float(group_recall[g][i]) if count else None
        rows.append(row)
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
                  few_shot_thr: Optional[float] = None,
                  group_ids: Optional[Sequence[int]] = None) -> str:
    """Readable summary, per-class table and class x group recall table.

    Args:
        metrics (Mapping[str, Any]): Output of
            :meth:`LongTailMetric.compute_metrics` (without prefix).
        rows (Sequence[Mapping[str, Any]]): Output of
            :func:`per_class_rows`.
        many_shot_thr (float, optional): Many-shot threshold, shown when the
            shot accuracies are present.
        few_shot_thr (float, optional): Few-shot threshold, likewise.
        group_ids (Sequence[int], optional): The groups whose
            :func:`group_columns` the rows hold. With 2 to
            :data:`MAX_REPORT_GROUPS` groups the report ends with each
            class's recall and test images in each group (``-`` where the
            group has no image of the class); with more, with a line saying
            so; with one group (the overall recall again), with nothing.

    Classes without test images (``test_count`` 0) are *not validated*:
    one line names them, each shot bin says how many of its classes they
    are, and their rows show ``-`` for recall and F1 and end with
    ``not validated``.

    Returns:
        str: A multi-line report.
    """
    not_validated = [r for r in rows if r['test_count'] == 0]
    lines = ['Long-tail evaluation report', '=' * 27]
    topk = sorted((k for k in metrics if k.startswith('top')),
                  key=lambda k: int(k[3:]))
    for key in topk:
        lines.append(f'{key + " accuracy":<26}: {_fmt(metrics[key])}')
    lines.append(f'{"balanced accuracy":<26}: '
                 f'{_fmt(metrics["balanced_accuracy"])}')
    if not_validated:
        lines.append(
            f'{"not validated":<26}: {len(not_validated)} class(es) without '
            'images in this set, left out of every class average: ' +
            ', '.join(r['class_name'] for r in not_validated))
    if 'many_shot' in metrics:
        for name, label in (
                ('many', f'many-shot (>{many_shot_thr:g})'),
                ('medium', f'medium-shot ({few_shot_thr:g}-'
                 f'{many_shot_thr:g})'),
                ('few', f'few-shot (<{few_shot_thr:g})')):
            missing = sum(r['shot'] == name for r in not_validated)
            extra = f', {missing} not validated' if missing else ''
            lines.append(f'{label:<26}: {_fmt(metrics[f"{name}_shot"])} '
                         f'({metrics[f"num_{name}"]} classes{extra})')
    else:
        lines.append(f'{"many/medium/few-shot":<26}: skipped (training '
                     'class counts unknown)')
    lines.append(f'{"macro F1":<26}: {_fmt(metrics["macro_f1"])}')
    lines.append(f'{"weighted F1":<26}: {_fmt(metrics["weighted_f1"])}')
    if 'worst_class_f1' in metrics:
        lines.append(f'{"worst-class F1":<26}: '
                     f'{_fmt(metrics["worst_class_f1"])}')
        lines.append(f'{"per-class F1 std (ddof=0)":<26}: '
                     f'{_fmt(metrics["per_class_f1_std"])}')
    worst = rows[metrics['worst_class']]['class_name']
    lines.append(f'{"worst class":<26}: {worst} '
                 f'({_fmt(metrics["worst_class_accuracy"])})')
    # group{g}_accuracy; not group_head_accuracy (a group multi-task head)
    groups = sorted((k for k in metrics
                     if k.startswith('group') and k.endswith('_accuracy')
                     and k[5:-9].isdigit()),
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
                     f'{_fmt(r["f1"]):>7}' +
                     ('  not validated' if r['test_count'] == 0 else ''))
    if group_ids is not None and len(group_ids) > 1:
        lines += [''] + _group_table(rows, group_ids, name_width)
    return '\n'.join(lines)


def _group_table(rows: Sequence[Mapping[str, Any]], group_ids: Sequence[int],
                 name_width: int) -> List[str]:
    """Lines of the class x group recall table of :func:`format_report`."""
    if len(group_ids) > MAX_REPORT_GROUPS:
        return [f'Per-class recall by group: {len(group_ids)} groups, more '
                f'than {MAX_REPORT_GROUPS} are not printed (they are in '
                'per_class.csv/json with save_per_class=True)']
    cell = 15  # "100.00 (12345)"
    header = f'{"idx":>5} {"class":<{name_width}}' + ''.join(
        f' {f"group {int(g)}":>{cell}}' for g in group_ids)
    lines = [
        'Per-class recall by group (percent, test images in parentheses)',
        header, '-' * len(header)
    ]
    for r in rows:
        cells = []
        for g in group_ids:
            count_key, recall_key = group_columns(int(g))
            text = (f'{_fmt(r[recall_key])} ({r[count_key]})'
                    if r[count_key] else '-')
            cells.append(f' {text:>{cell}}')
        lines.append(f'{r["class_index"]:>5} '
                     f'{r["class_name"][:name_width]:<{name_width}}' +
                     ''.join(cells))
    return lines


def _prepare(path: PathLike) -> str:
    """Return ``path`` as str after creating its folder."""
    path = os.fspath(path)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    return path


def write_per_class_csv(rows: Sequence[Mapping[str, Any]],
                        out_file: PathLike) -> str:
    """Write one CSV row per class.

    The header is :data:`CSV_FIELDS` followed by the rows' group columns
    (:func:`group_columns`) in group order. Missing values (unknown train
    counts and shot bins, the recall of a class within a group that has no
    image of it) are empty cells.

    Args:
        rows (Sequence[Mapping[str, Any]]): Output of :func:`per_class_rows`.
        out_file (str | os.PathLike): CSV file to write.

    Returns:
        str: ``out_file``.
    """
    fields = list(CSV_FIELDS)
    if rows:
        fields += [k for k in rows[0] if k not in CSV_FIELDS]
    out_file = _prepare(out_file)
    with open(out_file, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: '' if row[k] is None else row[k]
                 for k in fields})
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

    Non-finite numbers (e.g. the accuracy of an empty shot bin) and missing
    values (e.g. the recall of a class within a group that has no image of
    it) are ``null``.

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


def write_per_class_files(out_dir: str, metrics: Mapping[str, Any],
                          rows: Sequence[Mapping[str, Any]],
                          many_shot_thr: float,
                          few_shot_thr: float) -> List[str]:
    """Write ``per_class.csv`` and ``per_class.json`` into ``out_dir``; the
    JSON's summary is the scalar metrics (the per-class scalars of
    ``log_per_class`` are in the rows) and the shot thresholds. Returns the
    files written."""
    summary = {
        k: v
        for k, v in metrics.items()
        if not isinstance(v, list) and '/' not in k
    }
    summary.update(many_shot_thr=many_shot_thr, few_shot_thr=few_shot_thr)
    return [
        write_per_class_csv(rows, osp.join(out_dir, 'per_class.csv')),
        write_per_class_json(summary, rows,
                             osp.join(out_dir, 'per_class.json'))
    ]


def write_plots(out_dir: str, confusion: np.ndarray,
                rows: Sequence[Mapping[str, Any]],
                class_counts: Optional[np.ndarray], recall: np.ndarray,
                support: np.ndarray, many_shot_thr: float,
                few_shot_thr: float) -> List[str]:
    """Write ``confusion_matrix.png`` and, when the training class counts
    are known, ``accuracy_vs_count.png`` into ``out_dir``. Returns the
    files written."""
    # Imported here so that matplotlib loads only when plotting.
    from mmlt.visualization.plots import (plot_accuracy_vs_count,
                                          plot_confusion_matrix)
    names = [r['class_name'] for r in rows]
    written = [
        plot_confusion_matrix(confusion, names,
                              osp.join(out_dir, 'confusion_matrix.png'))
    ]
    if class_counts is not None:
        accuracy = np.where(support > 0, 100 * recall, np.nan)
        written.append(
            plot_accuracy_vs_count(
                class_counts, accuracy, names,
                osp.join(out_dir, 'accuracy_vs_count.png'), many_shot_thr,
                few_shot_thr))
    return written
