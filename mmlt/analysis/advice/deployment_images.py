"""Unlabelled deployment images, for estimating their class mix
(:func:`mmlt.analysis.advice.prior_shift.em_prior`): image files (a folder,
or a CSV's ``filename`` column) scored by the model through the config's
test pipeline, or a CSV of the model's probabilities (``p_<class>``
columns, as ``oof_predictions.csv`` writes them)."""
import copy
import csv
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config

from .inputs import PROB_FLOOR, run_model

__all__ = ['IMAGE_EXTENSIONS', 'image_paths', 'score_images',
           'deployment_logits']

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp')


def image_paths(path: str) -> List[str]:
    """Image files of a folder (recursively, sorted) or of a CSV's
    ``filename`` column (relative to the CSV's folder unless absolute)."""
    if osp.isdir(path):
        found = sorted(
            osp.join(root, name) for root, _, names in os.walk(path)
            for name in names if name.lower().endswith(IMAGE_EXTENSIONS))
        if not found:
            raise ValueError(f'{path} holds no image file '
                             f'({", ".join(IMAGE_EXTENSIONS)})')
        return found
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} is neither a folder nor a file')
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        if 'filename' not in (reader.fieldnames or []):
            raise ValueError(f'{path}: no "filename" column (columns: '
                             f'{reader.fieldnames})')
        names = [row['filename'] for row in reader if row['filename']]
    if not names:
        raise ValueError(f'{path} lists no image')
    root = osp.dirname(osp.abspath(path))
    return [n if osp.isabs(n) else osp.join(root, n) for n in names]


def score_images(model: torch.nn.Module, cfg: Config, paths: Sequence[str],
                 batch_size: int = 32) -> np.ndarray:
    """The model's logits (``(N, C)``) of unlabelled image files, through
    the config's test pipeline."""
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader = cfg.get('test_dataloader', None) or cfg.get('val_dataloader')
    from mmlt.analysis.label_issue_scoring import first_pipeline
    steps = first_pipeline(loader.get('dataset') if loader else None)
    if steps is None:
        raise ValueError('the config has no test or validation pipeline to '
                         'read the deployment images with')
    pipeline = Compose(copy.deepcopy(steps))

    def batches():
        for begin in range(0, len(paths), batch_size):
            yield pseudo_collate([pipeline(dict(img_path=p))
                                  for p in paths[begin:begin + batch_size]])

    return run_model(model, batches(), False)[0]


def _probability_csv(path: str,
                     classes: Sequence[str]) -> Optional[np.ndarray]:
    """The ``p_<class>`` columns of a CSV (as ``oof_predictions.csv``) as
    ``(N, C)`` probabilities; None when it has none of them."""
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        columns = [f'p_{c}' for c in classes]
        names = reader.fieldnames or []
        if not any(c in names for c in columns):
            return None
        missing = [c for c in columns if c not in names]
        if missing:
            raise ValueError(f'{path}: probability columns missing for '
                             f'{missing} (one p_<class> column per class)')
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                rows.append([float(row[c]) for c in columns])
            except (TypeError, ValueError):
                raise ValueError(f'{path}, line {line}: a p_<class> value '
                                 'is not a number') from None
    if not rows:
        raise ValueError(f'{path} has no rows')
    probs = np.asarray(rows, np.float64)
    if (probs < 0).any() or not np.isfinite(probs).all():
        raise ValueError(f'{path}: probabilities must be finite and >= 0')
    return probs


def deployment_logits(path: str, classes: Sequence[str],
                      model: Optional[torch.nn.Module] = None,
                      cfg: Optional[Config] = None,
                      batch_size: int = 32) -> np.ndarray:
    """Logits of unlabelled deployment images: a CSV with ``p_<class>``
    columns (probabilities, e.g. ``oof_predictions.csv``; their log), or a
    folder / CSV of image files scored by ``model`` (:func:`image_paths`,
    :func:`score_images`)."""
    if osp.isfile(path) and path.lower().endswith('.csv'):
        probs = _probability_csv(path, classes)
        if probs is not None:
            return np.log(np.maximum(probs, PROB_FLOOR))
    if model is None or cfg is None:
        raise ValueError(f'{path}: images need a checkpoint to be scored; '
                         'with --kfold give a CSV of p_<class> '
                         'probabilities')
    return score_images(model, cfg, image_paths(path), batch_size)
