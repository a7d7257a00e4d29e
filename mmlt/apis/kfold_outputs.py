"""The files a k-fold run writes into its work dir.

- ``kfold_metrics.csv`` / ``kfold_metrics.md``: each fold's final validation
  metrics, their mean and sample standard deviation (:func:`metric_table`).
- ``oof_predictions.npz`` / ``oof_predictions.csv``: out-of-fold predictions
  (:func:`oof_arrays`). The npz contract, read by other tools (e.g. a
  label-noise finder)::

      probs     float32 (N, C)  class probabilities of the fold model that
                                did not train on the sample (NaN row for a
                                sample of a never-validated class)
      gt_label  int64 (N,)      label in the training set
      group_id  int64 (N,)      group id (0 where the annotation has none)
      fold      int64 (N,)      the fold whose model predicted the sample,
                                -1 for a never-validated class
      index     int64 (N,)      position in the full training set: 0..N-1
      filename  str (N,)        the sample's img_path as the dataset holds
                                it, '' if none
      classes   str (C,)        class names, index order

  The csv holds ``index,filename,label,group_id,fold,pred_label`` (class
  names; ``pred_label`` empty for a never-validated sample) and one
  ``p_<class name>`` column per class.
- ``ensemble_config.py``: a ``ScoreEnsemble`` of the fold models
  (:func:`ensemble_config`).
"""
import copy
import csv
import logging
import math
import os
import os.path as osp
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.logging import print_log

from .kfold_plan import (ENSEMBLE_CONFIG, FOLD_PREDICTIONS, KFoldPlan,
                         fold_dir, train_dataset_of)

__all__ = [
    'MetricRow', 'metric_table', 'write_metric_tables', 'oof_arrays',
    'write_oof_predictions', 'ensemble_config', 'atomic_write',
    'write_kfold_summary'
]

# Metric keys that are not measures (a class index), left out of the table.
_NOT_MEASURES = ('worst_class', )


@dataclass
class MetricRow:
    """One metric over the folds."""
    name: str
    values: List[float]  # one per fold, NaN where a fold lacks the metric
    mean: float  # over the folds that have it (NaN-ignoring)
    std: float  # sample standard deviation (ddof=1); NaN below 2 values
    integer: bool = False  # a count (ints in every fold that has it)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_))


def metric_table(per_fold: Sequence[Mapping[str, Any]]) -> List[MetricRow]:
    """Mean and sample std of every scalar metric over the folds.

    Args:
        per_fold: Each fold's metrics (e.g. ``runner.test()``'s dict); lists
            and other non-numbers are left out, as is ``worst_class`` (an
            index).

    Returns:
        One row per metric, in the order the metrics first appear.
    """
    names: List[str] = []
    for metrics in per_fold:
        for key, value in metrics.items():
            if key not in names and _is_number(value) and \
                    key.rsplit('/', 1)[-1] not in _NOT_MEASURES:
                names.append(key)
    rows = []
    for name in names:
        values = [
            float(m[name]) if _is_number(m.get(name)) else math.nan
            for m in per_fold
        ]
        present = np.array([v for v in values if not math.isnan(v)])
        mean = float(present.mean()) if present.size else math.nan
        std = float(present.std(ddof=1)) if present.size > 1 else math.nan
        integer = all(
            isinstance(m[name], (int, np.integer)) for m in per_fold
            if _is_number(m.get(name)))
        rows.append(MetricRow(name, values, mean, std, integer))
    return rows


def atomic_write(path: str, write) -> None:
    """Call ``write(file)`` on a temporary file, then move it to ``path``,
    so a crash never leaves a partial file under the final name."""
    tmp = f'{path}.tmp{os.getpid()}'
    mode = 'wb' if path.endswith(('.npz', '.npy')) else 'w'
    with open(tmp, mode, **({} if mode == 'wb' else dict(
            newline='', encoding='utf-8'))) as f:
        write(f)
    os.replace(tmp, path)


def _fmt(value: float, integer: bool = False) -> str:
    if math.isnan(value):
        return 'nan'
    return str(int(value)) if integer else f'{value:.2f}'


def write_metric_tables(rows: Sequence[MetricRow], work_dir: str,
                        header: Sequence[str] = ()) -> Dict[str, str]:
    """Write ``kfold_metrics.csv`` (full precision) and ``kfold_metrics.md``
    (a Markdown table, ``mean ± std``).

    Args:
        rows: From :func:`metric_table`.
        work_dir: Folder of the files.
        header: Lines printed above the Markdown table.

    Returns:
        ``{'csv': path, 'md': path}``.
    """
    num_folds = len(rows[0].values) if rows else 0
    folds = [f'fold_{k}' for k in range(num_folds)]
    csv_path = osp.join(work_dir, 'kfold_metrics.csv')
    md_path = osp.join(work_dir, 'kfold_metrics.md')

    def write_csv(f) -> None:
        writer = csv.writer(f)
        writer.writerow(['metric', *folds, 'mean', 'std'])
        for row in rows:
            writer.writerow([row.name, *map(repr, row.values),
                             repr(row.mean), repr(row.std)])

    def write_md(f) -> None:
        for line in header:
            f.write(f'{line}\n')
        if header:
            f.write('\n')
        f.write('| metric | ' + ' | '.join(folds) + ' | mean ± std |\n')
        f.write('|---|' + '---:|' * (num_folds + 1) + '\n')
        for row in rows:
            cells = [_fmt(v, row.integer) for v in row.values]
            f.write(f'| {row.name} | ' + ' | '.join(cells) +
                    f' | {_fmt(row.mean)} ± {_fmt(row.std)} |\n')

    atomic_write(csv_path, write_csv)
    atomic_write(md_path, write_md)
    return dict(csv=csv_path, md=md_path)


def oof_arrays(labels: np.ndarray, groups: np.ndarray,
               filenames: Sequence[str], classes: Sequence[str],
               assignment: np.ndarray,
               fold_predictions: Mapping[int, Mapping[str, np.ndarray]]
               ) -> Dict[str, np.ndarray]:
    """The out-of-fold arrays of the npz contract (module docstring).

    Args:
        labels, groups, filenames: Of the full training set, in its order.
        classes: Class names.
        assignment: Validation fold of every sample (-1: never validated).
        fold_predictions: Per fold, ``index`` (full-set positions) and
            ``probs`` (their class probabilities) of that fold's model.

    Returns:
        The arrays, keyed as in the contract.

    Raises:
        ValueError: If a fold's predictions do not cover exactly the samples
            the split puts in its validation part, or have the wrong number
            of classes.
    """
    num, num_classes = len(labels), len(classes)
    probs = np.full((num, num_classes), np.nan, dtype=np.float32)
    fold = np.full(num, -1, dtype=np.int64)
    for k, pred in sorted(fold_predictions.items()):
        index = np.asarray(pred['index'], dtype=np.int64)
        expected = np.flatnonzero(assignment == k)
        if not np.array_equal(np.sort(index), expected):
            raise ValueError(
                f'fold {k}: predictions for {index.size} samples, but its '
                f'validation part holds {expected.size} (positions differ)')
        scores = np.asarray(pred['probs'], dtype=np.float32)
        if scores.shape != (index.size, num_classes):
            raise ValueError(f'fold {k}: probabilities of shape '
                             f'{scores.shape}, expected ({index.size}, '
                             f'{num_classes})')
        probs[index] = scores
        fold[index] = k
    missing = np.flatnonzero((assignment >= 0) & (fold < 0))
    if missing.size:
        raise ValueError(f'{missing.size} validated samples have no '
                         f'prediction (first: index {missing[0]})')
    return dict(
        probs=probs,
        gt_label=np.asarray(labels, dtype=np.int64),
        group_id=np.asarray(groups, dtype=np.int64),
        fold=fold,
        index=np.arange(num, dtype=np.int64),
        filename=np.array([str(f) for f in filenames], dtype=str)
        if num else np.zeros(0, dtype='<U1'),
        classes=np.array([str(c) for c in classes], dtype=str))


def write_oof_predictions(arrays: Mapping[str, np.ndarray],
                          work_dir: str) -> Dict[str, str]:
    """Write ``oof_predictions.npz`` and ``oof_predictions.csv``.

    Returns:
        ``{'npz': path, 'csv': path}``.
    """
    npz_path = osp.join(work_dir, 'oof_predictions.npz')
    csv_path = osp.join(work_dir, 'oof_predictions.csv')
    atomic_write(npz_path, lambda f: np.savez(f, **arrays))
    classes = [str(c) for c in arrays['classes']]

    def write_csv(f) -> None:
        writer = csv.writer(f)
        writer.writerow(['index', 'filename', 'label', 'group_id', 'fold',
                         'pred_label'] + [f'p_{c}' for c in classes])
        for i in range(len(arrays['index'])):
            row = arrays['probs'][i]
            validated = arrays['fold'][i] >= 0
            writer.writerow([
                int(arrays['index'][i]), str(arrays['filename'][i]),
                classes[int(arrays['gt_label'][i])],
                int(arrays['group_id'][i]), int(arrays['fold'][i]),
                classes[int(np.argmax(row))] if validated else ''
            ] + ([f'{float(p):.8g}' for p in row] if validated else
                 [''] * len(classes)))

    atomic_write(csv_path, write_csv)
    return dict(npz=npz_path, csv=csv_path)


# Keys of a training run that an ensemble config turns off.
_TRAIN_ONLY_KEYS = ('train_dataloader', 'train_cfg', 'optim_wrapper',
                    'param_scheduler', 'val_dataloader', 'val_cfg',
                    'val_evaluator', 'auto_scale_lr')


def ensemble_config(cfg: Config, train_dataset: Mapping,
                    members: Sequence[Mapping[str, Optional[str]]],
                    work_dir: str) -> Config:
    """A test-only ``ScoreEnsemble`` config of the fold models.

    It keeps ``cfg``'s test dataloader, evaluator, hooks and runtime, so
    ``python tools/test.py ensemble_config.py none`` tests the ensemble on
    the config's test set.

    Args:
        cfg: The k-fold run's config (as read, with its options applied).
        train_dataset: Config of the full training set: the ensemble's shot
            bins use its class counts (``ScoreEnsemble(train_dataset=)``).
        members: ``dict(name, config, checkpoint)`` per fold.
        work_dir: The ensemble's work dir.

    Returns:
        The config (``.dump(path)`` writes it).
    """
    ens = copy.deepcopy(cfg)
    ens.model = dict(
        type='ScoreEnsemble',
        members=[dict(m) for m in members],
        train_dataset=copy.deepcopy(dict(train_dataset)))
    # each member normalises with its own config's data_preprocessor
    ens.data_preprocessor = None
    for key in _TRAIN_ONLY_KEYS:
        if key in ens:
            ens[key] = None
    ens.test_cfg = ens.get('test_cfg') or dict()
    # the members' checkpoints already hold EMA weights (EMAHook swaps them
    # in when saving); under test it would average the ensemble's copies
    ens.custom_hooks = [
        h for h in (ens.get('custom_hooks') or [])
        if 'EMAHook' not in str(h.get('type', ''))
    ]
    ens.load_from = None
    ens.resume = False
    ens.work_dir = work_dir
    ens.pop('experiment_name', None)
    return ens


def write_kfold_summary(cfg: Config, plan: KFoldPlan,
                   markers: Dict[int, dict]) -> Dict[str, str]:
    """Write the metric tables, the out-of-fold predictions and the
    ensemble config of a k-fold run whose folds are all finished.

    Args:
        cfg: The run's config as read (options applied).
        plan: The split.
        markers: Each fold's ``fold_metrics.json`` content.

    Returns:
        Paths: ``metrics_csv``, ``metrics_md``, ``oof_npz``, ``oof_csv`` and
        ``ensemble_config`` (left out, with a WARNING, when a fold saved no
        checkpoint).
    """
    work_dir = cfg.work_dir
    folds = range(plan.num_splits)
    rows = metric_table([markers[k]['metrics'] for k in folds])
    header = [
        f'# {plan.num_splits}-fold cross-validation (stratify='
        f'{plan.stratify}, seed={plan.seed}, {plan.labels.size} training '
        'images)', '',
        'Each fold: its model\'s final metrics on its held-out fold; mean ± '
        'sample standard deviation over the folds.'
    ]
    if plan.not_validated_classes:
        header += [
            '',
            'Never validated (fewer images than folds, always in training): '
            + ', '.join(plan.not_validated_classes)
        ]
    files = {
        f'metrics_{k}': v
        for k, v in write_metric_tables(rows, work_dir, header).items()
    }
    predictions = {}
    for k in folds:
        with np.load(osp.join(fold_dir(work_dir, k),
                              FOLD_PREDICTIONS)) as data:
            predictions[k] = dict(index=data['index'], probs=data['probs'])
    arrays = oof_arrays(plan.labels, plan.groups, plan.filenames,
                        plan.classes, plan.assignment, predictions)
    files.update({
        f'oof_{k}': v
        for k, v in write_oof_predictions(arrays, work_dir).items()
    })
    members = [
        dict(name=f'fold_{k}', config=markers[k]['config'],
             checkpoint=markers[k]['checkpoint']) for k in folds
    ]
    missing = [m['name'] for m in members if m['checkpoint'] is None]
    if missing:
        print_log(
            f'No ensemble config: folds {missing} saved no checkpoint '
            '(default_hooks.checkpoint)', logger='current',
            level=logging.WARNING)
        return files
    ens = ensemble_config(cfg, train_dataset_of(cfg), members,
                          osp.join(osp.abspath(work_dir), 'ensemble'))
    path = osp.join(work_dir, ENSEMBLE_CONFIG)
    ens.dump(path)
    files['ensemble_config'] = path
    return files
