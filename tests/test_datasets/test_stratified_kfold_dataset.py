"""StratifiedKFoldDataset: disjoint validation folds that cover every sample
once, stratified within one image per class, the same on every run, small
classes always in training, the fold's counts for every consumer, and bad
input refused; checked against a hand count of the annotation rows."""
import csv
import logging
import warnings

import cv2
import numpy as np
import pytest
from mmengine.dataset import ClassBalancedDataset, ConcatDataset
from mmengine.logging import MMLogger
from model_helpers import LogRecords

import mmlt  # noqa: F401
from mmlt.datasets import (DigitsLT, LongTailDataset, StratifiedKFoldDataset,
                           get_class_counts, get_group_ids, get_labels,
                           resolve_num_splits, stratified_fold_assignment)
from mmlt.datasets import stratified_kfold_dataset as skf_module
from mmlt.registry import DATA_SAMPLERS, DATASETS

CLASSES = ['ant', 'bee', 'cat', 'dog', 'eel']
COUNTS = [40, 15, 7, 2, 1]
# 65 rows, classes interleaved; group 1 on every third row
ROWS = []
for _c, _n in enumerate(COUNTS):
    ROWS += [(f'img{len(ROWS) % 3}.png', CLASSES[_c]) for _ in range(_n)]
ROWS = [(f, c, int(i % 3 == 0))
        for i, (f, c) in enumerate(ROWS[::2] + ROWS[1::2])]
LABELS = np.array([CLASSES.index(r[1]) for r in ROWS])
GROUPS = np.array([r[2] for r in ROWS])


@pytest.fixture(scope='module')
def ann_file(tmp_path_factory):
    root = tmp_path_factory.mktemp('skf')
    rng = np.random.RandomState(0)
    for i in range(3):
        cv2.imwrite(str(root / f'img{i}.png'),
                    rng.randint(0, 255, (4, 4, 3), dtype=np.uint8))
    path = root / 'train.csv'
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filename', 'label', 'group_id'])
        writer.writerows(ROWS)
    return path


@pytest.fixture(scope='module')
def full(ann_file):
    """The whole CSV, built once (each fold copies its subset)."""
    return DATASETS.build(_csv(ann_file))


@pytest.fixture(autouse=True)
def fresh_reports(monkeypatch):
    """Each test sees the small-class WARNING as if first."""
    monkeypatch.setattr(skf_module, '_REPORTED', set())


def _csv(ann_file, **kwargs):
    return dict(type='GroupAnnotationDataset', ann_file=str(ann_file),
                data_prefix=str(ann_file.parent), classes=CLASSES,
                pipeline=[], **kwargs)


def _fold(full, fold, test_mode, **kwargs):
    kwargs.setdefault('num_splits', 3)
    return StratifiedKFoldDataset(full, fold=fold, test_mode=test_mode,
                                  **kwargs)


def _parts(full, **kwargs):
    num_splits = _fold(full, 0, True, **kwargs).num_splits
    return [(_fold(full, k, False, **kwargs), _fold(full, k, True, **kwargs))
            for k in range(num_splits)]


@pytest.mark.parametrize('num_splits', [2, 3, 5])
def test_folds_disjoint_cover_each_sample_once_and_stratified(
        full, num_splits):
    parts = _parts(full, num_splits=num_splits, seed=7)
    validated = np.flatnonzero(np.array(COUNTS)[LABELS] >= num_splits)
    seen = []
    per_fold = []
    for train, val in parts:
        t, v = train.ori_indices, val.ori_indices
        assert not set(t) & set(v)
        assert sorted(np.concatenate([t, v])) == list(range(len(ROWS)))
        seen.extend(v.tolist())
        # the part's labels, groups and counts are those of its rows
        for part, rows in ((train, t), (val, v)):
            assert get_labels(part).tolist() == LABELS[rows].tolist()
            assert get_group_ids(part).tolist() == GROUPS[rows].tolist()
            assert part.class_counts.tolist() == np.bincount(
                LABELS[rows], minlength=5).tolist()
        per_fold.append(np.bincount(LABELS[v], minlength=5))
    # every validated sample is in exactly one validation fold
    assert sorted(seen) == validated.tolist()
    per_fold = np.array(per_fold)  # (folds, classes)
    for c, n in enumerate(COUNTS):
        if n >= num_splits:
            assert per_fold[:, c].max() - per_fold[:, c].min() <= 1, c
            assert per_fold[:, c].sum() == n


def test_split_is_scikit_learns_stratified_kfold(full):
    from sklearn.model_selection import StratifiedKFold
    keep = np.flatnonzero(np.array(COUNTS)[LABELS] >= 3)
    splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=11)
    for k, (_, val) in enumerate(
            splitter.split(np.zeros(keep.size), LABELS[keep])):
        part = _fold(full, k, True, seed=11)
        assert part.ori_indices.tolist() == keep[val].tolist()


def test_same_folds_every_run_other_seed_other_folds(full):
    first = _fold(full, 1, True, seed=3).ori_indices
    again = _fold(full, 1, True, seed=3).ori_indices
    other = _fold(full, 1, True, seed=4).ori_indices
    unshuffled = _fold(full, 1, True, seed=None).ori_indices
    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()
    assert unshuffled.tolist() == _fold(full, 1, True,
                                        seed=None).ori_indices.tolist()


def test_small_classes_always_in_training_logged_once(full):
    records = LogRecords()
    logger = MMLogger.get_current_instance()
    logger.addHandler(records)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error')  # no scikit-learn warning
            parts = _parts(full, num_splits=3)
    finally:
        logger.removeHandler(records)
    small = [i for i, lab in enumerate(LABELS) if COUNTS[lab] < 3]
    assert len(small) == 3  # dog (2) and eel (1)
    for train, val in parts:
        assert train.not_validated_classes == ['dog', 'eel']
        assert set(small) <= set(train.ori_indices)
        assert not set(small) & set(val.ori_indices)
        assert val.class_counts[3:].tolist() == [0, 0]
    warned = [m for m in records.at(logging.WARNING) if 'never validated'
              in m]
    assert len(warned) == 1  # six wrappers, one message
    assert "'dog' (2)" in warned[0] and "'eel' (1)" in warned[0]


def test_auto_number_of_folds():
    # min(max_splits, smallest class), at least 2
    assert resolve_num_splits(COUNTS, 'auto') == 2
    assert resolve_num_splits([40, 15, 7], 'auto') == 3
    assert resolve_num_splits([40, 15, 7], 'auto', max_splits=5) == 5
    assert resolve_num_splits([40, 15, 7], 'auto', max_splits=10) == 7
    assert resolve_num_splits([40, 0, 7], 'auto', max_splits=10) == 7
    assert resolve_num_splits([40, 15, 7], 4) == 4


def test_auto_fold_keeps_the_single_image_class_in_training(full):
    parts = _parts(full, num_splits='auto')  # -> 2 folds
    assert len(parts) == 2 and parts[0][1].num_splits == 2
    assert parts[0][0].not_validated_classes == ['eel']
    eel = int(np.flatnonzero(LABELS == 4)[0])
    assert all(eel in t.ori_indices and eel not in v.ori_indices
               for t, v in parts)
    dog = np.flatnonzero(LABELS == 3).tolist()  # 2 images: one per fold
    assert sorted(v for _, val in parts for v in val.ori_indices
                  if v in dog) == dog


def test_class_group_stratification(full):
    parts = _parts(full, num_splits=3, stratify='class_group', seed=2)
    vals = [val.ori_indices for _, val in parts]
    assert sorted(np.concatenate(vals).tolist()) == np.flatnonzero(
        np.array(COUNTS)[LABELS] >= 3).tolist()
    for c, n in enumerate(COUNTS[:3]):
        for g in (0, 1):
            cell = [int(((LABELS[v] == c) & (GROUPS[v] == g)).sum())
                    for v in vals]
            if ((LABELS == c) & (GROUPS == g)).sum() >= 3:
                assert max(cell) - min(cell) <= 1, (c, g, cell)


def test_small_cells_of_a_class_are_pooled():
    # class 0: group 0 x 9, groups 1..4 x 1 each (pooled: 4 >= 3 folds);
    # class 1: group 0 x 5, group 1 x 1 (pool of 1 joins group 0)
    labels = [0] * 13 + [1] * 6
    groups = [0] * 9 + [1, 2, 3, 4] + [0] * 5 + [1]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        folds = stratified_fold_assignment(labels, 3, 0, groups)
    labels, groups = np.array(labels), np.array(groups)
    pooled = [int(((labels == 0) & (groups > 0) & (folds == k)).sum())
              for k in range(3)]
    assert sorted(pooled) == [1, 1, 2]
    assert (folds >= 0).all()


def test_config_and_instance_give_the_same_fold_lazily(ann_file):
    from_cfg = DATASETS.build(
        dict(type='StratifiedKFoldDataset', dataset=_csv(ann_file), fold=2,
             num_splits=3, test_mode=True))
    instance = DATASETS.build(_csv(ann_file))
    wrapped = StratifiedKFoldDataset(instance, fold=2, num_splits=3,
                                     test_mode=True, lazy_init=True)
    assert not wrapped._fully_initialized
    assert len(wrapped) == len(from_cfg)  # initialises
    assert wrapped.ori_indices.tolist() == from_cfg.ori_indices.tolist()
    assert len(instance) == len(ROWS)  # the instance itself is untouched


def test_ori_index_reaches_the_packed_sample():
    full = DigitsLT(split='train', imbalance_ratio=10, test_per_class=40,
                    pipeline=[dict(type='PackInputs',
                                   algorithm_keys=['group_id'])])
    val = StratifiedKFoldDataset(full, fold=1, num_splits=3, test_mode=True)
    for i in (0, 7, len(val) - 1):
        ori = int(val.ori_indices[i])
        packed = val[i]['data_samples']
        assert packed.ori_index == ori
        assert val.get_data_info(i)['ori_index'] == ori
        assert val.get_data_info(i)['digit_index'] == \
            full.get_data_info(ori)['digit_index']
        assert int(packed.gt_label) == int(full.get_gt_labels()[ori])


def test_count_consumers_see_the_fold():
    source = DigitsLT(split='train', imbalance_ratio=1, test_per_class=40)
    lt = LongTailDataset(source, imbalance_ratio=20)
    train = StratifiedKFoldDataset(lt, fold=0, num_splits=3)
    labels = lt.get_gt_labels()[train.ori_indices]
    hand = np.bincount(labels, minlength=10)
    assert get_class_counts(train).tolist() == hand.tolist()
    assert train.class_counts.tolist() == hand.tolist()
    # mmengine's ClassBalancedDataset around a fold, and a sampler on it
    balanced = ClassBalancedDataset(train, oversample_thr=0.2)
    assert get_class_counts(balanced).sum() == len(balanced) > len(train)
    sampler = DATA_SAMPLERS.build(
        dict(type='RebalancedSampler', strategy='class_balanced'),
        default_args=dict(dataset=train, seed=0))
    assert len(list(iter(sampler))) == len(train)
    # a subset of a fold keeps its full-dataset positions
    sub = train.get_subset([0, 5, 9])
    assert sub.ori_indices.tolist() == train.ori_indices[[0, 5, 9]].tolist()
    assert get_labels(sub).tolist() == labels[[0, 5, 9]].tolist()
    assert len(train) == len(labels)  # the source part is unchanged


def test_bad_input(full, ann_file):
    with pytest.raises(ValueError, match=r"num_splits=50 .*'ant' with 40"):
        _fold(full, 0, True, num_splits=50)
    with pytest.raises(ValueError, match=r'eel: 1'):
        _fold(full, 0, True, num_splits=41)
    with pytest.raises(ValueError, match=r'fold=3 is out of range .*3'):
        _fold(full, 3, True)
    with pytest.raises(ValueError, match=r'fold=-1 is out of range'):
        _fold(full, -1, True)
    with pytest.raises(ValueError, match=r"fold=2 .*'auto'.* 2 folds"):
        _fold(full, 2, True, num_splits='auto')
    for bad in (1, True, 'all', 2.5, None):
        with pytest.raises(ValueError, match=rf'num_splits={bad!r}'):
            _fold(full, 0, True, num_splits=bad)
    with pytest.raises(ValueError, match='max_splits=1'):
        _fold(full, 0, True, num_splits='auto', max_splits=1)
    with pytest.raises(ValueError, match="stratify='group'"):
        _fold(full, 0, True, stratify='group')
    with pytest.raises(ValueError, match="seed='1'"):
        _fold(full, 0, True, seed='1')
    with pytest.raises(ValueError, match=r"fold='0'"):
        _fold(full, '0', True)
    with pytest.raises(TypeError, match='int'):
        StratifiedKFoldDataset(5)
    concat = ConcatDataset([DATASETS.build(_csv(ann_file))] * 2)
    with pytest.raises(TypeError, match='ConcatDataset cannot take a '
                       'subset'):
        StratifiedKFoldDataset(concat, num_splits=2)
    with pytest.raises(ValueError, match=r"num_splits='auto' gives 2 folds, "
                       r'more than the images of every class'):
        resolve_num_splits([1, 1, 0], 'auto')
