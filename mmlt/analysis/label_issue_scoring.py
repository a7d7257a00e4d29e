"""Score every image of a split with one checkpoint, for the label-issue
finder's checkpoint mode (:func:`mmlt.analysis.label_issues.
loss_outlier_issues` turns the scores into ranked outliers).

The model is MMPretrain's ``get_model`` of the config; the checkpoint is
loaded strictly through MMEngine's ``load_checkpoint`` (so mmlt's checkpoint
trust policy applies: a file outside the trusted directories is read with
``weights_only`` and its allow-list). The split's dataloader is built from
the config by MMEngine's ``Runner.build_dataloader`` with a sequential
``DefaultSampler`` (every image once, in dataset order), and the model runs
in test mode (``test_step``: no batch augmentation, the head's prediction
scores). The training split is scored with the test pipeline (its random
augmentations would make the score of an image a draw).
"""
import copy
import logging
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from mmlt.structures import read_optional_group_ids

__all__ = ['ImageScores', 'score_checkpoint', 'split_dataloader_cfg',
           'first_pipeline']

SPLITS = ('train', 'val', 'test')


@dataclass(frozen=True)
class ImageScores:
    """What a checkpoint says about each image of a split, in dataset
    order.

    Attributes:
        index: ``(N,)`` position in the split's dataset.
        filename: ``(N,)`` the image path the dataset reads ('' for
            in-memory images).
        gt_label: ``(N,)`` given labels.
        self_confidence: ``(N,)`` probability of the given label.
        suggested_label: ``(N,)`` the argmax.
        suggested_confidence: ``(N,)`` its probability.
        group_id: ``(N,)`` group ids (0 where the annotation has none).
        classes: Class names.
    """
    index: np.ndarray
    filename: np.ndarray
    gt_label: np.ndarray
    self_confidence: np.ndarray
    suggested_label: np.ndarray
    suggested_confidence: np.ndarray
    group_id: np.ndarray
    classes: Tuple[str, ...]


def first_pipeline(dataset_cfg: Any) -> Optional[list]:
    """The ``pipeline`` of a dataset config, looked for through wrappers
    (``dataset=``, ``datasets=``)."""
    if not isinstance(dataset_cfg, dict):
        return None
    if 'pipeline' in dataset_cfg:
        return dataset_cfg['pipeline']
    inner = dataset_cfg.get('dataset')
    if inner is not None:
        return first_pipeline(inner)
    for part in dataset_cfg.get('datasets', []) or []:
        found = first_pipeline(part)
        if found is not None:
            return found
    return None


def _replace_pipelines(dataset_cfg: Any, pipeline: list) -> int:
    """Put ``pipeline`` wherever a (wrapped) dataset config has one;
    returns how many were replaced."""
    if not isinstance(dataset_cfg, dict):
        return 0
    if 'pipeline' in dataset_cfg:
        dataset_cfg['pipeline'] = copy.deepcopy(pipeline)
        return 1
    count = 0
    if dataset_cfg.get('dataset') is not None:
        count += _replace_pipelines(dataset_cfg['dataset'], pipeline)
    for part in dataset_cfg.get('datasets', []) or []:
        count += _replace_pipelines(part, pipeline)
    return count


def split_dataloader_cfg(cfg: Config,
                         split: str,
                         batch_size: Optional[int] = None,
                         test_pipeline: bool = True) -> ConfigDict:
    """The split's dataloader config, made sequential.

    Args:
        cfg: The run's config.
        split: ``'train'``, ``'val'`` or ``'test'``.
        batch_size: Overrides the loader's batch size.
        test_pipeline: For ``'train'``: use the test (else validation)
            dataloader's pipeline instead of the training one.

    Raises:
        ValueError: Naming a bad split or one the config has no dataloader
            for.
    """
    if split not in SPLITS:
        raise ValueError(f'split={split!r} is not one of {list(SPLITS)}')
    loader = cfg.get(f'{split}_dataloader', None)
    if not loader:
        raise ValueError(f'the config has no {split}_dataloader')
    loader = copy.deepcopy(loader)
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) \
                or batch_size < 1:
            raise ValueError(f'batch_size={batch_size!r} must be a positive '
                             'integer')
        loader['batch_size'] = batch_size
    loader['sampler'] = dict(type='DefaultSampler', shuffle=False,
                             round_up=False)
    loader.pop('batch_sampler', None)
    if not loader.get('num_workers', 0):
        loader['persistent_workers'] = False
    if split == 'train' and test_pipeline:
        source = next((s for s in ('test', 'val')
                       if first_pipeline((cfg.get(f'{s}_dataloader') or {})
                                          .get('dataset')) is not None),
                      None)
        if source is None:
            print_log('label issues: the config has no test or validation '
                      'pipeline; the training split is scored with its own '
                      '(random augmentations included)',
                      logger='current', level=logging.WARNING)
        else:
            pipeline = first_pipeline(cfg[f'{source}_dataloader'].dataset)
            _replace_pipelines(loader['dataset'], pipeline)
            print_log(f'label issues: the training split is scored with '
                      f'the {source} pipeline', logger='current',
                      level=logging.INFO)
    return loader


def _build_model(cfg: Config, checkpoint: str, device: str) -> Any:
    from mmengine.runner import load_checkpoint
    from mmpretrain.apis import get_model
    model = get_model(cfg, pretrained=False)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval()


@torch.no_grad()
def score_checkpoint(cfg: Config,
                     checkpoint: str,
                     split: str = 'train',
                     batch_size: Optional[int] = None,
                     device: Optional[str] = None,
                     test_pipeline: bool = True
                     ) -> Tuple[ImageScores, Any]:
    """Run ``checkpoint`` in test mode over every image of ``split``.

    Args:
        cfg: The config the checkpoint was trained with.
        checkpoint: Path or URL of the checkpoint.
        split: ``'train'``, ``'val'`` or ``'test'``.
        batch_size: Overrides the dataloader's batch size.
        device: Default: ``'cuda'`` when available, else ``'cpu'``.
        test_pipeline: See :func:`split_dataloader_cfg`.

    Returns:
        ``(scores, dataset)``: the scores and the dataset they index
        (for the contact sheet's images).

    Raises:
        ValueError: If the model's score vectors do not have one entry per
            class of the dataset, or the dataset is empty.
    """
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from mmlt.datasets.label_utils import get_classes, get_group_ids
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader_cfg = split_dataloader_cfg(cfg, split, batch_size, test_pipeline)
    loader = Runner.build_dataloader(loader_cfg)
    dataset = loader.dataset
    classes = get_classes(dataset)
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = _build_model(cfg, checkpoint, device)
    labels: List[int] = []
    self_conf: List[float] = []
    suggested: List[int] = []
    suggested_conf: List[float] = []
    filenames: List[str] = []
    groups: List[int] = []
    for batch in loader:
        outputs = model.test_step(batch)
        packed = read_optional_group_ids(outputs, 'the label-issue scores')
        groups += [0] * len(outputs) if packed is None else packed
        for sample in outputs:
            score = sample.pred_score.detach().float().cpu()
            if classes is None:
                classes = tuple(str(c) for c in range(len(score)))
            if len(score) != len(classes):
                raise ValueError(
                    f'the model scores {len(score)} classes but the '
                    f'{split} dataset has {len(classes)}: {list(classes)}')
            label = int(sample.gt_label.reshape(-1)[0])
            labels.append(label)
            self_conf.append(float(score[label]))
            top = int(score.argmax())
            suggested.append(top)
            suggested_conf.append(float(score[top]))
            filenames.append(str(sample.metainfo.get('img_path', '') or ''))
    if not labels:
        raise ValueError(f'the {split} dataloader gave no image')
    try:  # the annotation's groups, packed into the samples or not
        group_ids = get_group_ids(dataset)
    except (TypeError, KeyError):
        group_ids = None
    if group_ids is None or len(group_ids) != len(labels):
        group_ids = np.asarray(groups, dtype=np.int64)
    scores = ImageScores(
        index=np.arange(len(labels), dtype=np.int64),
        filename=np.asarray(filenames, dtype=str),
        gt_label=np.asarray(labels, dtype=np.int64),
        self_confidence=np.asarray(self_conf, dtype=np.float64),
        suggested_label=np.asarray(suggested, dtype=np.int64),
        suggested_confidence=np.asarray(suggested_conf, dtype=np.float64),
        group_id=np.asarray(group_ids, dtype=np.int64),
        classes=tuple(classes))
    return scores, dataset
