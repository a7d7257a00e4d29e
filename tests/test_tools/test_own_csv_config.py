"""The own-CSV example config runs end to end on a folder of PNGs with
groups (train, validate, test), its counts match a hand count, and the
trained model works with MMPretrain's ImageClassificationInferencer."""
import csv
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmlt  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'lt',
                  'convnext-atto_logit-adjusted_1xb32_own-csv.py')
CLASSES = ['red', 'green', 'blue']
TRAIN = {'red': 24, 'green': 8, 'blue': 4}

pytestmark = pytest.mark.usefixtures('one_thread')


def _write_split(root, name, per_class, rng):
    rows = []
    for c, cls in enumerate(CLASSES):
        for i in range(per_class[cls]):
            img = rng.randint(0, 60, (60, 80, 3)).astype(np.uint8)
            img[..., 2 - c] += 150  # BGR on disk: class c is bright
            fname = f'{name}_{cls}_{i}.png'
            cv2.imwrite(str(root / 'images' / fname), img)
            rows.append((fname, cls, i % 2))
    with open(root / f'{name}.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filename', 'label', 'group_id'])
        writer.writerows(rows)
    return rows


@pytest.fixture(scope='module')
def own_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('own')
    (root / 'images').mkdir()
    (root / 'classes.txt').write_text('\n'.join(CLASSES) + '\n')
    rng = np.random.RandomState(0)
    rows = _write_split(root, 'train', TRAIN, rng)
    _write_split(root, 'val', dict.fromkeys(CLASSES, 3), rng)
    _write_split(root, 'test', dict.fromkeys(CLASSES, 4), rng)
    return root, rows


def _cfg(root, work_dir):
    cfg = Config.fromfile(CONFIG)
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = str(root)
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = 1
    cfg.default_hooks.long_tail_context.plot = False
    return cfg


@pytest.fixture(scope='module')
def trained(own_data, tmp_path_factory):
    root, _ = own_data
    work_dir = tmp_path_factory.mktemp('own_work')
    runner = Runner.from_cfg(_cfg(root, work_dir))
    runner.train()
    metrics = runner.test()
    return runner, metrics, osp.join(str(work_dir), 'epoch_2.pth')


def test_trains_validates_and_tests_with_hand_counted_bins(own_data,
                                                           trained):
    _, rows = own_data
    runner, metrics, checkpoint = trained
    hand = [sum(1 for r in rows if r[1] == c) for c in CLASSES]
    assert hand == [24, 8, 4]
    assert runner.model.head.class_counts.tolist() == hand
    assert osp.isfile(checkpoint)
    # 24 -> medium (20..100), 8 and 4 -> few-shot (< 20)
    assert (metrics['long_tail/num_many'], metrics['long_tail/num_medium'],
            metrics['long_tail/num_few']) == (0, 1, 2)
    assert {'long_tail/group0_accuracy',
            'long_tail/group1_accuracy'} <= set(metrics)


def test_inferencer_on_a_path_and_a_numpy_image(own_data, trained):
    from mmpretrain.apis import ImageClassificationInferencer
    root, _ = own_data
    runner, _, checkpoint = trained
    cfg = _cfg(root, runner.work_dir)
    inferencer = ImageClassificationInferencer(cfg, pretrained=checkpoint,
                                               device='cpu')
    path = str(root / 'images' / 'test_blue_0.png')
    by_path = inferencer(path)[0]
    by_array = inferencer(cv2.imread(path))[0]
    assert by_path['pred_class'] in CLASSES
    np.testing.assert_allclose(by_path['pred_scores'],
                               by_array['pred_scores'], rtol=0, atol=1e-6)
    assert torch.as_tensor(by_path['pred_scores']).sum().item() == \
        pytest.approx(1.0, abs=1e-5)


def test_kfold_training_fold_counts_and_bins_are_the_folds(own_data,
                                                           tmp_path):
    """MMPretrain's KFoldDataset around the CSV: the head's counts (those of
    count-based losses) and the report's shot bins are the fold's."""
    root, rows = own_data
    cfg = _cfg(root, tmp_path)
    cfg.train_cfg.max_epochs = 2
    cfg.train_dataloader.dataset = dict(
        type='KFoldDataset', dataset=cfg.train_dataloader.dataset, fold=0,
        num_splits=3, seed=3)
    runner = Runner.from_cfg(cfg)
    runner.train()
    order = list(range(len(rows)))
    np.random.default_rng(3).shuffle(order)
    start, end = len(rows) * 0 // 3, len(rows) * 1 // 3
    fold_rows = [rows[i] for i in order[:start] + order[end:]]
    hand = [sum(1 for r in fold_rows if r[1] == c) for c in CLASSES]
    assert sum(hand) == 24 and hand != [24, 8, 4]
    assert runner.model.head.class_counts.tolist() == hand
    metrics = runner.test()
    bins = (sum(n > 100 for n in hand), sum(20 <= n <= 100 for n in hand),
            sum(n < 20 for n in hand))
    assert (metrics['long_tail/num_many'], metrics['long_tail/num_medium'],
            metrics['long_tail/num_few']) == bins
