"""Stratified k-fold training of one config: every fold trained in turn,
out-of-fold predictions for every training sample, a metric table over the
folds and a ready ensemble of the fold models.

:func:`kfold_train` wraps the config's training set in
:class:`~mmlt.datasets.StratifiedKFoldDataset` for each fold (training:
the other folds plus the classes too small to validate; validation: the
held-out fold of the *same* training data, with the config's validation
pipeline), trains fold ``k`` in ``work_dir/fold_k`` and tests the trained
model on its held-out fold with the config's validation metric and
MMEngine's ``DumpResults``. Then, in ``work_dir`` (see
:mod:`mmlt.apis.kfold_outputs` for the formats):

- ``kfold_metrics.csv`` / ``.md``: per-fold metrics, mean ± sample std;
- ``oof_predictions.npz`` / ``.csv``: each training sample's class
  probabilities from the one fold model that did not train on it;
- ``ensemble_config.py``: a ``ScoreEnsemble`` of the fold checkpoints for
  ``python tools/test.py work_dir/ensemble_config.py none``;
- ``kfold_split.json``: the split's settings, checked when the run is
  started again in the same work dir.

A fold is finished once ``fold_k/fold_metrics.json`` exists: it is written
last (atomically), after the fold's checkpoint and its out-of-fold
predictions (``fold_k/oof_fold.npz``). Running again skips finished folds
and resumes an interrupted one from its newest intact checkpoint
(``resume=True``). Under ``--launcher pytorch`` every fold runs on all ranks
in one process group; the split is the same on every rank (same seed, no
rank-dependent randomness), rank 0 decides which folds are finished and
writes every file.
"""
import copy
import gc
import json
import os
import os.path as osp
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dist import (barrier, broadcast_object_list, init_dist,
                           is_distributed, is_main_process)
from mmengine.logging import print_log

from mmlt.datasets.stratified_kfold_dataset import (ORI_INDEX_KEY,
                                                    STRATIFY_OPTIONS)
from .dist import prepare_cpu_distributed
from .kfold_outputs import atomic_write, write_kfold_summary
from .kfold_plan import (FOLD_CONFIG, FOLD_MARKER, FOLD_PREDICTIONS,
                         RAW_PREDICTIONS, SPLIT_RECORD, KFoldPlan,
                         fold_config, fold_dir, plan_kfold, train_dataset_of)

__all__ = ['KFoldSummary', 'kfold_train', 'finished_folds']


@dataclass
class KFoldSummary:
    """What :func:`kfold_train` did and wrote.

    Attributes:
        work_dir: The run's work dir.
        num_splits: Number of folds.
        trained_folds: Folds trained (or resumed) by this call.
        skipped_folds: Folds found finished and skipped.
        fold_metrics: Each fold's final metrics on its held-out fold.
        not_validated_classes: Classes in no validation fold.
        files: Paths of the summary files (``metrics_csv``, ``metrics_md``,
            ``oof_npz``, ``oof_csv``, ``ensemble_config``).
    """
    work_dir: str
    num_splits: int
    trained_folds: List[int] = field(default_factory=list)
    skipped_folds: List[int] = field(default_factory=list)
    fold_metrics: List[Dict[str, Any]] = field(default_factory=list)
    not_validated_classes: List[str] = field(default_factory=list)
    files: Dict[str, str] = field(default_factory=dict)


def _on_main(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` on rank 0 and hand its result (or its error) to every
    rank, so that no rank waits for one that failed."""
    packed: List[Any] = [None, None]
    if is_main_process():
        try:
            packed[0] = fn(*args)
        except Exception as e:  # re-raised on every rank below
            packed[1] = e
    broadcast_object_list(packed)
    if packed[1] is not None:
        if is_main_process():
            raise packed[1]
        raise RuntimeError(f'rank 0 failed: {packed[1]!r}')
    return packed[0]


def _check_split_record(work_dir: str, plan: KFoldPlan) -> None:
    """Write ``kfold_split.json``, or refuse a work dir whose finished
    folds come from another split."""
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, SPLIT_RECORD)
    record = plan.record()
    if osp.isfile(path):
        with open(path, encoding='utf-8') as f:
            old = json.load(f)
        differ = [k for k in record if old.get(k) != record[k]]
        if differ:
            mine = {k: record[k] for k in differ if k != 'classes'}
            theirs = {k: old.get(k) for k in differ if k != 'classes'}
            classes = '; the classes differ' if 'classes' in differ else ''
            raise ValueError(
                f'{path} records another k-fold split ({theirs}; this run: '
                f'{mine}{classes}): its folds would not fit this run. Use '
                'another work dir, or the same options and training data.')
        return
    atomic_write(path, lambda f: json.dump(record, f, indent=2))


def finished_folds(work_dir: str, num_splits: int) -> Dict[int, dict]:
    """The finished folds of a work dir and their ``fold_metrics.json``.

    A fold is finished when its marker names the fold and the number of
    folds, and its checkpoint and out-of-fold predictions exist.
    """
    done = {}
    for k in range(num_splits):
        path = osp.join(fold_dir(work_dir, k), FOLD_MARKER)
        if not osp.isfile(path):
            continue
        with open(path, encoding='utf-8') as f:
            marker = json.load(f)
        checkpoint = marker.get('checkpoint')
        if marker.get('fold') == k and marker.get(
                'num_splits') == num_splits and osp.isfile(
                    osp.join(fold_dir(work_dir, k), FOLD_PREDICTIONS)) and (
                        checkpoint is None or osp.isfile(checkpoint)):
            done[k] = marker
    return done


def _has_checkpoint(directory: str) -> bool:
    from mmlt.utils.checkpoint_files import find_resume_checkpoint
    if not osp.isdir(directory):
        return False
    return find_resume_checkpoint(directory).path is not None


def _to_json(value: Any) -> Any:
    if isinstance(value, (np.integer, )):
        return int(value)
    if isinstance(value, (np.floating, )):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if hasattr(value, 'item') and callable(value.item):  # 0-d tensors
        return value.item()
    return value


def _finish_fold(work_dir: str, fold: int, plan: KFoldPlan,
                 metrics: Dict[str, Any], config_path: str) -> dict:
    """Turn the dumped predictions into ``oof_fold.npz`` and write the
    ``fold_metrics.json`` marker (rank 0)."""
    from mmengine.fileio import load

    from mmlt.utils.checkpoint_files import find_resume_checkpoint
    directory = fold_dir(work_dir, fold)
    raw_path = osp.join(directory, RAW_PREDICTIONS)
    results = load(raw_path)
    if any(ORI_INDEX_KEY not in r for r in results):
        raise ValueError(
            f'fold {fold}: the held-out samples carry no {ORI_INDEX_KEY!r}; '
            'the test pipeline must end with PackInputs (a DataSample)')
    index = np.array([int(r[ORI_INDEX_KEY]) for r in results], np.int64)
    probs = torch.stack([
        torch.as_tensor(r['pred_score']).float().reshape(-1)
        for r in results
    ]).numpy() if results else np.zeros((0, len(plan.classes)), np.float32)
    gt = np.array([int(torch.as_tensor(r['gt_label']).reshape(-1)[0])
                   for r in results], np.int64)
    if not np.array_equal(gt, plan.labels[index]):
        raise ValueError(f'fold {fold}: dumped labels differ from the '
                         'training set\'s at the same positions')
    order = np.argsort(index, kind='stable')
    atomic_write(
        osp.join(directory, FOLD_PREDICTIONS),
        lambda f: np.savez(f, index=index[order], probs=probs[order]))
    checkpoint = find_resume_checkpoint(directory).path
    marker = dict(
        fold=fold,
        num_splits=plan.num_splits,
        seed=plan.seed,
        stratify=plan.stratify,
        num_val=int((plan.assignment == fold).sum()),
        num_train=int((plan.assignment != fold).sum()),
        checkpoint=osp.abspath(checkpoint) if checkpoint else None,
        config=osp.abspath(config_path),
        metrics=_to_json(metrics))
    atomic_write(
        osp.join(directory, FOLD_MARKER),
        lambda f: json.dump(marker, f, indent=2))
    os.remove(raw_path)
    return marker


def _init_distributed(cfg: Config, launcher: str) -> None:
    """Open the process group before the first fold (gloo without CUDA, as
    tools/train.py; else as the Runner would), so that rank 0 can hand its
    decisions to the other ranks."""
    cfg.launcher = launcher
    if launcher == 'none' or prepare_cpu_distributed(cfg, launcher):
        return
    if not is_distributed():
        env_cfg = cfg.get('env_cfg', None) or {}
        init_dist(launcher, **(env_cfg.get('dist_cfg', None) or {}))


def _build_runner(cfg: Config):
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)


def kfold_train(cfg: Config,
                num_splits: Union[int, str] = 'auto',
                max_splits: int = 3,
                stratify: str = 'class',
                seed: Optional[int] = 0,
                launcher: Optional[str] = None) -> KFoldSummary:
    """Train every fold of a stratified k-fold split of ``cfg``'s training
    set, then write the metric table, the out-of-fold predictions and the
    ensemble config (see the module docstring).

    Args:
        cfg: A training config with ``work_dir`` set (tools/kfold_train.py
            applies its options with :func:`~mmlt.apis.merge_train_args`).
        num_splits: Number of folds (an int >= 2), or ``'auto'``:
            ``min(max_splits, smallest class count)``, at least 2.
        max_splits: The largest number of folds ``'auto'`` picks.
        stratify: ``'class'`` or ``'class_group'``.
        seed: Seed of the split (the same on every rank and every run).
        launcher: ``'none'`` or ``'pytorch'`` (torchrun) ...; default
            ``cfg.launcher`` or ``'none'``.

    Returns:
        What was trained, skipped and written (on every rank).

    Raises:
        ValueError: On a malformed option, a config without training set,
            validation/test pipeline or evaluator, or a work dir that holds
            the folds of another split.
    """
    if stratify not in STRATIFY_OPTIONS:
        raise ValueError(f'stratify={stratify!r} must be one of '
                         f'{list(STRATIFY_OPTIONS)}')
    if cfg.get('work_dir', None) is None:
        raise ValueError('cfg.work_dir must be set (the folds go to '
                         'work_dir/fold_k)')
    launcher = launcher or cfg.get('launcher', None) or 'none'
    as_read = copy.deepcopy(cfg)  # for the ensemble: no run-time changes
    run_cfg = copy.deepcopy(cfg)
    _init_distributed(run_cfg, launcher)
    work_dir = cfg.work_dir
    plan = plan_kfold(train_dataset_of(cfg), num_splits, max_splits, stratify,
                      seed)
    print_log(
        f'{plan.num_splits}-fold stratified cross-validation (stratify='
        f'{stratify}, seed={seed}) of {plan.labels.size} training images in '
        f'{work_dir}', logger='current')
    _on_main(_check_split_record, work_dir, plan)
    done = _on_main(finished_folds, work_dir, plan.num_splits)
    summary = KFoldSummary(work_dir, plan.num_splits,
                           not_validated_classes=plan.not_validated_classes)
    for k in range(plan.num_splits):
        if k in done:
            print_log(f'fold {k}: finished ({FOLD_MARKER}), skipped',
                      logger='current')
            summary.skipped_folds.append(k)
            continue
        fold_cfg = fold_config(run_cfg, k, plan)
        config_path = osp.join(fold_dir(work_dir, k), FOLD_CONFIG)

        def dump_member_config(fold: int = k, path: str = config_path
                               ) -> None:
            os.makedirs(osp.dirname(path), exist_ok=True)
            fold_config(as_read, fold, plan).dump(path)

        _on_main(dump_member_config)
        if _on_main(_has_checkpoint, fold_cfg.work_dir):
            fold_cfg.resume = True  # the newest intact checkpoint
            fold_cfg.load_from = None
            print_log(f'fold {k}: resuming in {fold_cfg.work_dir}',
                      logger='current')
        runner = _build_runner(fold_cfg)
        runner.train()
        metrics = runner.test()
        del runner  # free the fold's model before the next one
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        done[k] = _on_main(_finish_fold, work_dir, k, plan, metrics,
                           config_path)
        summary.trained_folds.append(k)
        barrier()
    summary.fold_metrics = [done[k]['metrics'] for k in
                            range(plan.num_splits)]
    summary.files = _on_main(write_kfold_summary, as_read, plan, done)
    print_log(
        'k-fold results: ' + ', '.join(
            f'{name} {path}' for name, path in summary.files.items()),
        logger='current')
    return summary
