"""Labels, groups and class counts follow every subset of a dataset
(MMEngine's get_subset / get_subset_, MMPretrain's KFoldDataset), checked
against a hand count of the annotation rows."""
import csv

import cv2
import numpy as np
import pytest

import mmlt  # noqa: F401
from mmlt.datasets import get_class_counts, get_group_ids, get_labels
from mmlt.registry import DATASETS, DATA_SAMPLERS

CLASSES = ['ant', 'bee', 'cat']
# 60 rows: 40 ant, 15 bee, 5 cat; group 1 on every third row
ROWS = [(f'img{i % 3}.png', CLASSES[0 if i < 40 else 1 if i < 55 else 2],
         int(i % 3 == 0)) for i in range(60)]


@pytest.fixture
def ann_file(tmp_path):
    rng = np.random.RandomState(0)
    for i in range(3):
        cv2.imwrite(str(tmp_path / f'img{i}.png'),
                    rng.randint(0, 255, (4, 4, 3), dtype=np.uint8))
    path = tmp_path / 'train.csv'
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filename', 'label', 'group_id'])
        writer.writerows(ROWS)
    return path


def _cfg(ann_file, **kwargs):
    return dict(type='GroupAnnotationDataset', ann_file=str(ann_file),
                data_prefix=str(ann_file.parent), classes=CLASSES,
                pipeline=[], **kwargs)


def _hand(indices):
    """Labels, groups and counts of these CSV rows, read without mmlt."""
    with open(ROWS_FILE[0], newline='') as f:
        rows = list(csv.DictReader(f))
    picked = [rows[i] for i in indices]
    labels = [CLASSES.index(r['label']) for r in picked]
    groups = [int(r['group_id']) for r in picked]
    return labels, groups, np.bincount(labels, minlength=3).tolist()


ROWS_FILE = []


@pytest.fixture(autouse=True)
def _remember(ann_file):
    ROWS_FILE[:] = [ann_file]


def _check(dataset, indices):
    labels, groups, counts = _hand(indices)
    assert len(dataset) == len(indices)
    assert get_labels(dataset).tolist() == labels
    assert get_group_ids(dataset).tolist() == groups
    assert get_class_counts(dataset).tolist() == counts


def test_get_subset_copy_has_the_subset_labels(ann_file):
    ds = DATASETS.build(_cfg(ann_file))
    picked = [0, 5, 41, 42, 58, 59]
    sub = ds.get_subset(picked)
    _check(sub, picked)
    assert sub.class_counts.tolist() == [2, 2, 2]
    _check(ds, range(60))  # the source is unchanged


@pytest.mark.parametrize('n, indices', [(50, range(50)),
                                        (-7, range(53, 60))])
def test_get_subset_in_place_and_indices_option(ann_file, n, indices):
    ds = DATASETS.build(_cfg(ann_file))
    ds.get_subset_(n)
    _check(ds, list(indices))
    # the dataset's own indices= option (MMEngine) goes the same way
    _check(DATASETS.build(_cfg(ann_file, indices=n)), list(indices))


@pytest.mark.parametrize('fold', [0, 1, 2])
@pytest.mark.parametrize('test_mode', [False, True])
def test_kfold_dataset_counts_are_the_folds(ann_file, fold, test_mode):
    kfold = DATASETS.build(
        dict(type='KFoldDataset', dataset=_cfg(ann_file), fold=fold,
             num_splits=3, test_mode=test_mode, seed=1))
    # the fold's rows, as MMPretrain's KFoldDataset picks them
    order = list(range(60))
    np.random.default_rng(1).shuffle(order)
    start, end = 60 * fold // 3, 60 * (fold + 1) // 3
    rows = order[start:end] if test_mode else order[:start] + order[end:]
    _check(kfold, rows)


def test_rebalanced_sampler_on_a_kfold_training_fold(ann_file):
    kfold = DATASETS.build(
        dict(type='KFoldDataset', dataset=_cfg(ann_file), fold=0,
             num_splits=3))
    sampler = DATA_SAMPLERS.build(
        dict(type='RebalancedSampler', strategy='class_balanced'),
        default_args=dict(dataset=kfold, seed=0))
    drawn = list(iter(sampler))
    assert len(drawn) == len(kfold) == 40
    assert max(drawn) < 40


def test_a_training_subset_gets_its_own_counts_in_its_pipeline(ann_file):
    """The long-tail context of a subset is the subset's (what
    LongTailContextHook counts and hands to the subset's pipeline)."""
    from mmlt.datasets import long_tail_context_from_dataset
    from mmlt.structures import hand_over
    pipeline = [dict(type='ApplyByClassFrequency', count_threshold=10,
                     tail_pipeline=[])]
    ds = DATASETS.build(_cfg(ann_file) | dict(pipeline=pipeline))
    transform = ds.pipeline.transforms[0]
    hand_over(long_tail_context_from_dataset(ds), [transform])
    assert [transform.is_tail(c) for c in range(3)] == [False, False, True]
    sub = ds.get_subset(list(range(5)) + list(range(40, 60)))  # 5/15/5
    context = long_tail_context_from_dataset(sub)
    assert context.class_counts.tolist() == [5, 15, 5]
    hand_over(context, [sub.pipeline.transforms[0]])
    assert [sub.pipeline.transforms[0].is_tail(c)
            for c in range(3)] == [True, False, True]
    assert [transform.is_tail(c) for c in range(3)] == [False, False, True]


def test_long_tail_dataset_subsets(ann_file):
    lt = DATASETS.build(dict(type='LongTailDataset', dataset=_cfg(ann_file),
                             imbalance_ratio=5, max_count=10))
    full = get_labels(lt)
    assert np.bincount(full).tolist() == [10, 4, 2]
    sub = lt.get_subset([0, 1, 12, 15])
    assert get_labels(sub).tolist() == full[[0, 1, 12, 15]].tolist()
    assert len(lt) == 16
    kfold = DATASETS.build(
        dict(type='KFoldDataset', fold=1, num_splits=2,
             dataset=dict(type='LongTailDataset', dataset=_cfg(ann_file),
                          imbalance_ratio=5, max_count=10)))
    assert get_labels(kfold).tolist() == full[:8].tolist()
    assert get_class_counts(kfold).tolist() == np.bincount(
        full[:8], minlength=3).tolist()
