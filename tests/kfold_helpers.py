"""Data and config the k-fold tests share (imported as ``kfold_helpers``:
pytest puts ``tests/`` on ``sys.path``): a folder of small PNGs with
train/val/test CSVs and groups, and a fast variant of the own-CSV config."""
import csv
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
OWN_CSV_CONFIG = osp.join(ROOT, 'configs', 'lt',
                          'convnext-atto_logit-adjusted_1xb32_own-csv.py')
CLASSES = ['red', 'green', 'blue', 'gray']


def write_own_data(root: str, train_counts: Dict[str, int],
                   size: int = 16) -> List[Tuple[str, str, int]]:
    """PNGs in ``root/images`` and ``{train,val,test}.csv`` (header
    ``filename,label,group_id``; group = image number % 2); val and test
    hold 2 images per class. Returns the train rows, in file order."""
    import os
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(CLASSES) + '\n')
    rng = np.random.RandomState(0)
    train_rows = []
    for split, counts in (('train', train_counts),
                          ('val', dict.fromkeys(CLASSES, 2)),
                          ('test', dict.fromkeys(CLASSES, 2))):
        rows = []
        for c, name in enumerate(CLASSES):
            for i in range(counts.get(name, 0)):
                img = rng.randint(0, 60, (size, size, 3)).astype(np.uint8)
                if c < 3:
                    img[..., 2 - c] += 150  # BGR: classes 0-2 are bright
                fname = f'{split}_{name}_{i}.png'
                cv2.imwrite(osp.join(root, 'images', fname), img)
                rows.append((fname, name, i % 2))
        with open(osp.join(root, f'{split}.csv'), 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['filename', 'label', 'group_id'])
            writer.writerows(rows)
        if split == 'train':
            train_rows = rows
    return train_rows


def write_tiny_config(path: str, data_root: str, max_epochs: int = 1,
                      imports: Sequence[str] = ('mmlt', ),
                      custom_hooks: Sequence[str] = ()) -> str:
    """The own-CSV config on ``data_root`` with a two-stage ConvNeXt of 8/16
    channels, 16x16 images, no workers and a constant learning rate."""
    pipeline = [
        dict(type='StrictLoadImageFromFile'),
        dict(type='Resize', scale=(16, 16)),
        dict(type='PackInputs', algorithm_keys=['group_id']),
    ]
    loader = dict(num_workers=0, persistent_workers=False,
                  dataset=dict(data_root=data_root, pipeline=pipeline))
    text = f"""_base_ = [{OWN_CSV_CONFIG!r}]
custom_imports = dict(imports={list(imports)!r}, allow_failed_imports=False)
num_classes = {len(CLASSES)}
data_preprocessor = dict(num_classes=num_classes)
model = dict(
    backbone=dict(_delete_=True, type='ConvNeXt',
                  arch=dict(depths=[1, 1], channels=[8, 16]),
                  out_indices=(1, ), drop_path_rate=0.0),
    head=dict(num_classes=num_classes, in_channels=16))
train_dataloader = {loader!r}
val_dataloader = {loader!r}
test_dataloader = {loader!r}
train_cfg = dict(max_epochs={max_epochs}, val_interval=1)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
default_hooks = dict(long_tail_context=dict(plot=False),
                     logger=dict(interval=1))
custom_hooks = {[dict(type=h) for h in custom_hooks]!r}
"""
    with open(path, 'w') as f:
        f.write(text)
    return path


def expected_folds(labels: Sequence[int], num_splits: int,
                   seed: int) -> np.ndarray:
    """The validation fold of each sample, straight from scikit-learn's
    StratifiedKFold on the classes with at least ``num_splits`` images
    (-1 for the others)."""
    from sklearn.model_selection import StratifiedKFold
    labels = np.asarray(labels)
    counts = np.bincount(labels)
    keep = np.flatnonzero(counts[labels] >= num_splits)
    folds = np.full(labels.size, -1)
    splitter = StratifiedKFold(num_splits, shuffle=True, random_state=seed)
    for k, (_, val) in enumerate(
            splitter.split(np.zeros(keep.size), labels[keep])):
        folds[keep[val]] = k
    return folds
