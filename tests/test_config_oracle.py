"""The protocol's oracle (configs/baselines/
resnet20_ce_1xb128_fashion-mnist-balanced248.py): the cross-entropy
baseline on a balanced draw of the long-tailed draw's size, from the same
source images, with the long-tailed config's held-out validation split and
test set, and the long-tailed protocol's shot bins."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmlt  # noqa: F401
from mmlt.datasets.lt_profiles import (long_tail_counts,
                                       sample_held_out_indices,
                                       sample_long_tail_indices)
from mmlt.registry import DATASETS, METRICS
from mmlt.structures import LongTailContext

from data_helpers import needs_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASE = osp.join(ROOT, 'configs', 'baselines')
LT = osp.join(BASE, 'resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py')
ORACLE = osp.join(BASE, 'resnet20_ce_1xb128_fashion-mnist-balanced248.py')
# Fashion-MNIST's training set: 6,000 images of each of 10 classes
SOURCE = np.random.RandomState(1).permutation(np.repeat(np.arange(10), 6000))


def _draws(path, labels):
    """(training indices, held-out indices) of a config's two
    LongTailDatasets on source ``labels``, drawn by the dataset's own
    functions."""
    cfg = Config.fromfile(path)
    train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    draws = []
    for ds in (train, val):
        counts = long_tail_counts(10, ds.max_count, ds.imbalance_ratio,
                                  ds.profile)
        if ds.get('split') == 'held_out':
            draws.append(sample_held_out_indices(
                labels, counts, ds.held_out_per_class, ds.seed))
        else:
            draws.append(sample_long_tail_indices(labels, counts, ds.seed))
    return draws


def _check(lt_train, lt_val, train, val, labels):
    # the same size as the long-tailed draw, up to the rounding per class
    assert len(lt_train) == 2478
    np.testing.assert_array_equal(np.bincount(labels[train]), [248] * 10)
    assert len(train) == 2480
    # the long-tailed config's held-out split, disjoint from both draws
    np.testing.assert_array_equal(val, lt_val)
    np.testing.assert_array_equal(np.bincount(labels[val]), [100] * 10)
    assert not set(val.tolist()) & set(train.tolist())
    assert not set(val.tolist()) & set(lt_train.tolist())
    # the same source images: per class, one draw holds the other
    for c in range(10):
        a = set(lt_train[labels[lt_train] == c].tolist())
        b = set(train[labels[train] == c].tolist())
        assert a <= b or b <= a, c


def test_the_balanced_draw_shares_split_and_images_with_the_protocol():
    lt_train, lt_val = _draws(LT, SOURCE)
    train, val = _draws(ORACLE, SOURCE)
    _check(lt_train, lt_val, train, val, SOURCE)


def test_only_the_draw_and_the_shot_bins_differ():
    lt, oracle = Config.fromfile(LT).to_dict(), Config.fromfile(
        ORACLE).to_dict()
    for cfg in (lt, oracle):
        for split in ('train_dataloader', 'val_dataloader'):
            for key in ('imbalance_ratio', 'max_count'):
                cfg[split]['dataset'].pop(key)
        for evaluator in ('val_evaluator', 'test_evaluator'):
            cfg[evaluator].pop('shot_bin_counts', None)
        cfg.pop('balanced_draw', None)
        cfg.pop('protocol_shot_bins', None)
    assert oracle == lt


def test_the_shot_bins_are_the_protocols():
    """The test metric gets the oracle's training counts (248 each) from
    LongTailContextHook, yet reports the protocol's many/medium/few."""
    cfg = Config.fromfile(ORACLE)
    labels = np.repeat(np.arange(10), 3)
    samples = [dict(pred_score=torch.eye(10)[int(y)],
                    gt_label=torch.tensor([int(y)])) for y in labels]
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        metric = METRICS.build(dict(evaluator, print_report=False,
                                    save_per_class=False,
                                    save_confusion_matrix=False))
        metric.set_long_tail_context(LongTailContext([248] * 10))
        metric.process(None, samples)
        res = metric.compute_metrics(metric.results)
        assert (res['num_many'], res['num_medium'], res['num_few']) == \
            (5, 3, 2)
        assert res['few_shot'] == 100.0


@needs_fashion_mnist
def test_the_draws_of_the_real_data():
    cfg_lt, cfg_oracle = Config.fromfile(LT), Config.fromfile(ORACLE)
    source_cfg = cfg_lt.train_dataloader.dataset.dataset
    source = DATASETS.build(dict(source_cfg, pipeline=[], data_root=osp.join(
        ROOT, source_cfg.data_root)))
    built = {}
    for name, cfg in (('lt', cfg_lt), ('oracle', cfg_oracle)):
        for split in ('train_dataloader', 'val_dataloader'):
            ds = cfg[split].dataset
            # every split of both configs reads the same source images
            assert dict(ds.dataset, pipeline=[]) == dict(source_cfg,
                                                         pipeline=[])
            built[name, split] = DATASETS.build(dict(ds, dataset=source))
    labels = np.asarray(source.get_gt_labels())
    _check(built['lt', 'train_dataloader'].indices,
           built['lt', 'val_dataloader'].indices,
           built['oracle', 'train_dataloader'].indices,
           built['oracle', 'val_dataloader'].indices, labels)
    assert cfg_oracle.test_dataloader == cfg_lt.test_dataloader
    with pytest.raises(AssertionError):  # the checks do check
        _check(built['lt', 'train_dataloader'].indices,
               built['lt', 'val_dataloader'].indices,
               built['lt', 'train_dataloader'].indices,
               built['oracle', 'val_dataloader'].indices, labels)
