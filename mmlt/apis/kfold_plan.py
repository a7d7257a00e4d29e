"""The split and the per-fold configs of a k-fold run (see
:mod:`mmlt.apis.kfold`)."""
import copy
import hashlib
import os.path as osp
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

import numpy as np
from mmengine.config import Config, ConfigDict

from mmlt.datasets.label_utils import get_classes, get_group_ids, get_labels
from mmlt.datasets.stratified_kfold_dataset import StratifiedKFoldDataset

__all__ = [
    'KFoldPlan', 'plan_kfold', 'fold_config', 'fold_dir', 'train_dataset_of',
    'FOLD_MARKER', 'FOLD_PREDICTIONS', 'FOLD_CONFIG', 'SPLIT_RECORD',
    'ENSEMBLE_CONFIG', 'RAW_PREDICTIONS'
]

# Files of a k-fold work dir (fold_k/... per fold, the others at the top).
FOLD_MARKER = 'fold_metrics.json'  # written last: the fold is finished
FOLD_PREDICTIONS = 'oof_fold.npz'  # the fold model's held-out predictions
FOLD_CONFIG = 'fold_config.py'  # the fold's config (an ensemble member)
SPLIT_RECORD = 'kfold_split.json'
ENSEMBLE_CONFIG = 'ensemble_config.py'
RAW_PREDICTIONS = 'oof_raw.pkl'  # DumpResults' file, removed when read


def fold_dir(work_dir: str, fold: int) -> str:
    """``work_dir/fold_{fold}``."""
    return osp.join(work_dir, f'fold_{fold}')


@dataclass
class KFoldPlan:
    """The split of the full training set and what the outputs need of it.

    Attributes:
        num_splits: Number of folds (``'auto'`` resolved).
        seed: Seed of the split.
        stratify: ``'class'`` or ``'class_group'``.
        assignment: Validation fold of every sample (-1: never validated).
        labels, groups, filenames: Of every sample of the full training set.
        classes: Class names.
        not_validated_classes: Classes with fewer images than folds.
    """
    num_splits: int
    seed: Optional[int]
    stratify: str
    assignment: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    filenames: List[str]
    classes: List[str]
    not_validated_classes: List[str]

    def record(self) -> Dict[str, Any]:
        """What ``kfold_split.json`` holds: enough to tell whether finished
        folds in a work dir belong to this split."""
        digest = hashlib.sha1(
            np.ascontiguousarray(self.assignment).tobytes()).hexdigest()
        return dict(
            num_splits=self.num_splits,
            seed=self.seed,
            stratify=self.stratify,
            num_samples=int(self.labels.size),
            classes=list(self.classes),
            not_validated_classes=list(self.not_validated_classes),
            fold_assignment_sha1=digest)


def _img_path(dataset, idx: int) -> str:
    if not hasattr(dataset, 'get_data_info'):
        return ''
    return str(dataset.get_data_info(idx).get('img_path') or '')


def plan_kfold(train_dataset: Union[Mapping, Any],
               num_splits: Union[int, str] = 'auto',
               max_splits: int = 3,
               stratify: str = 'class',
               seed: Optional[int] = 0) -> KFoldPlan:
    """Split the full training set as every fold's wrapper will.

    The split is read from a :class:`StratifiedKFoldDataset` built with the
    same arguments as the folds', so it is the folds' split by
    construction. No image is decoded.

    Args:
        train_dataset: The training set's config (or the dataset).
        num_splits, max_splits, stratify, seed: As
            :class:`StratifiedKFoldDataset`.

    Returns:
        The plan.
    """
    from mmlt.registry import DATASETS
    dataset = DATASETS.build(copy.deepcopy(dict(train_dataset))) \
        if isinstance(train_dataset, Mapping) else train_dataset
    probe = StratifiedKFoldDataset(
        dataset, fold=0, num_splits=num_splits, test_mode=True, seed=seed,
        stratify=stratify, max_splits=max_splits)
    labels = get_labels(dataset)
    classes = get_classes(dataset)
    return KFoldPlan(
        num_splits=probe.num_splits,
        seed=seed,
        stratify=stratify,
        assignment=probe.fold_assignment,
        labels=labels,
        groups=get_group_ids(dataset),
        filenames=[_img_path(dataset, i) for i in range(len(labels))],
        classes=[str(c) for c in classes] if classes is not None else
        [str(i) for i in range(int(labels.max()) + 1)],
        not_validated_classes=probe.not_validated_classes)


def _pipeline_of(dataset_cfg: Optional[Mapping]) -> Optional[list]:
    """The ``pipeline`` of a dataset config or of the dataset it wraps."""
    node = dataset_cfg
    while isinstance(node, Mapping):
        if 'pipeline' in node:
            return copy.deepcopy(node['pipeline'])
        node = node.get('dataset', None)
    return None


def _with_pipeline(dataset_cfg: Mapping, pipeline: list) -> dict:
    """A copy of ``dataset_cfg`` whose (innermost) pipeline is replaced."""
    copied = copy.deepcopy(dict(dataset_cfg))
    node = copied
    while 'pipeline' not in node:
        inner = node.get('dataset', None)
        if not isinstance(inner, Mapping):
            raise ValueError(
                f'train_dataloader.dataset (type {copied.get("type")!r}) has '
                'no pipeline to replace with the validation pipeline: k-fold '
                'needs one dataset, or a wrapper of one (LongTailDataset), as '
                'the training set')
        node = inner
    node['pipeline'] = copy.deepcopy(pipeline)
    return copied


def _as_list(evaluator: Any) -> list:
    if evaluator is None:
        return []
    if isinstance(evaluator, Mapping):
        return [copy.deepcopy(evaluator)]
    return [copy.deepcopy(e) for e in evaluator]


def train_dataset_of(cfg: Config) -> Mapping:
    """``cfg.train_dataloader.dataset``, the full training set's config.

    Raises:
        ValueError: If the config has none.
    """
    loader = cfg.get('train_dataloader', None)
    dataset = loader.get('dataset', None) if loader is not None else None
    if not isinstance(dataset, Mapping):
        raise ValueError('k-fold needs train_dataloader.dataset (a dataset '
                         f'config) in the config, got {dataset!r}')
    return dataset


def fold_config(cfg: Config, fold: int, plan: KFoldPlan) -> Config:
    """The config that trains fold ``fold`` in ``work_dir/fold_{fold}``.

    - ``train_dataloader.dataset``: the training part of the fold;
    - ``val_dataloader.dataset`` (if the config validates): the held-out
      fold of the same training data with the validation pipeline (the
      val, else the test dataloader's);
    - ``test_dataloader``: the held-out fold again, in order
      (``DefaultSampler(shuffle=False)``), with the validation metric (the
      test one without validation) and ``DumpResults`` to
      ``fold_k/oof_raw.pkl``: the out-of-fold predictions.

    Args:
        cfg: The run's config (``work_dir`` set).
        fold: The fold, ``0..plan.num_splits-1``.
        plan: From :func:`plan_kfold`.

    Raises:
        ValueError: If the config has no training set, no val/test
            dataloader to take the pipeline and loader settings from, or
            no evaluator.
    """
    if not 0 <= fold < plan.num_splits:
        raise ValueError(f'fold={fold} is out of range for '
                         f'{plan.num_splits} folds')
    out = copy.deepcopy(cfg)
    train_dataset = train_dataset_of(cfg)
    pipeline = None
    for loader in ('val_dataloader', 'test_dataloader'):
        if pipeline is None and cfg.get(loader, None) is not None:
            pipeline = _pipeline_of(cfg[loader].get('dataset', None))
    if pipeline is None:
        raise ValueError('the config has no val_dataloader or test_dataloader '
                         'dataset with a pipeline: k-fold validates the '
                         'held-out fold with that pipeline')
    work_dir = fold_dir(cfg.work_dir, fold)
    out.work_dir = work_dir
    stem = osp.splitext(osp.basename(cfg.filename))[0] \
        if getattr(cfg, 'filename', None) else 'kfold'
    out.experiment_name = f'{stem}_fold_{fold}'

    def part(dataset_cfg: Mapping, test_mode: bool) -> ConfigDict:
        return ConfigDict(
            type='StratifiedKFoldDataset',
            dataset=copy.deepcopy(dict(dataset_cfg)),
            fold=fold,
            num_splits=plan.num_splits,
            test_mode=test_mode,
            seed=plan.seed,
            stratify=plan.stratify)

    held_out = part(_with_pipeline(train_dataset, pipeline), True)
    out.train_dataloader.dataset = part(train_dataset, False)
    if out.get('val_dataloader', None) is not None:
        out.val_dataloader.dataset = copy.deepcopy(held_out)
        out.val_cfg = out.get('val_cfg', None) or dict()
    loader = cfg.get('val_dataloader', None) or cfg.get(
        'test_dataloader', None)
    loader = copy.deepcopy(loader)
    loader.dataset = held_out
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    out.test_dataloader = loader
    metrics = _as_list(cfg.get('val_evaluator', None)) or _as_list(
        cfg.get('test_evaluator', None))
    if not metrics:
        raise ValueError('the config has no val_evaluator or test_evaluator '
                         'to score the held-out folds with')
    metrics.append(
        dict(
            type='DumpResults',
            out_file_path=osp.join(work_dir, RAW_PREDICTIONS)))
    out.test_evaluator = metrics
    out.test_cfg = out.get('test_cfg', None) or dict()
    out.resume = False
    return out
