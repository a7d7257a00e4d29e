import numpy as np
import pytest
from mmengine.dataset import (ClassBalancedDataset, ConcatDataset,
                              RepeatDataset)

import mmlt  # noqa: F401
from mmlt.datasets import (DigitsLT, LongTailDataset, get_class_counts,
                           get_group_ids, get_labels)
from mmlt.registry import DATASETS


@pytest.fixture(scope='module')
def digits_test():
    return DigitsLT(split='test', test_per_class=40)


def test_digits_splits_are_disjoint_balanced_and_long_tailed():
    train = DigitsLT(split='train', imbalance_ratio=10, test_per_class=40)
    test = DigitsLT(split='test', test_per_class=40)
    np.testing.assert_array_equal(test.class_counts, [40] * 10)
    counts = train.class_counts
    # smallest class has 174 scans, 134 left after the test split
    assert counts[0] == 134 and counts[-1] == int(134 / 10)
    assert (np.diff(counts) <= 0).all()
    train_ids = {train.get_data_info(i)['digit_index'] for i in
                 range(len(train))}
    test_ids = {test.get_data_info(i)['digit_index'] for i in
                range(len(test))}
    assert not train_ids & test_ids
    sample = train[0]
    assert sample['img'].shape == (8, 8, 3) and sample['img'].dtype == np.uint8
    groups = train.get_group_ids()
    assert set(np.unique(groups)) == {0, 1}
    # heavy-stroke quarter of each class
    assert 0.15 < groups.mean() < 0.35


def test_digits_bad_arguments():
    with pytest.raises(ValueError, match="split='val'"):
        DigitsLT(split='val')
    with pytest.raises(ValueError, match='group_by'):
        DigitsLT(group_by='writer')
    with pytest.raises(ValueError, match='class 8 has 174 images'):
        DigitsLT(test_per_class=174)


def test_wrapper_turns_a_balanced_set_long_tailed(digits_test):
    lt = DATASETS.build(
        dict(
            type='LongTailDataset',
            imbalance_ratio=8,
            dataset=dict(type='DigitsLT', split='test', test_per_class=40)))
    expected = [int(40 * 8**(-i / 9)) for i in range(10)]
    np.testing.assert_array_equal(lt.class_counts, expected)
    np.testing.assert_array_equal(np.bincount(get_labels(lt)), expected)
    assert len(lt) == sum(expected)
    assert lt.metainfo['classes'] == digits_test.metainfo['classes']
    # items are the source's items
    i = 3
    assert lt[i]['gt_label'] == lt.dataset[int(lt.indices[i])]['gt_label']
    np.testing.assert_array_equal(
        get_group_ids(lt),
        digits_test.get_group_ids()[lt.indices])
    # the wrapped test set itself is untouched (still balanced)
    np.testing.assert_array_equal(digits_test.class_counts, [40] * 10)


def test_wrapper_class_order_seed_and_errors(digits_test):
    lt = LongTailDataset(digits_test, imbalance_ratio=4,
                         class_order=list(range(9, -1, -1)), seed=3)
    assert lt.class_counts[9] == 40 and lt.class_counts[0] == 10
    again = LongTailDataset(digits_test, imbalance_ratio=4,
                            class_order=list(range(9, -1, -1)), seed=3)
    np.testing.assert_array_equal(lt.indices, again.indices)
    with pytest.raises(ValueError, match='class 0 has 40 images but'):
        LongTailDataset(digits_test, imbalance_ratio=4, max_count=41)
    lazy = LongTailDataset(digits_test, imbalance_ratio=4, lazy_init=True)
    assert not lazy._fully_initialized
    assert len(lazy) == len(LongTailDataset(digits_test, imbalance_ratio=4))


def test_label_helper_through_mmengine_wrappers(digits_test):
    labels = digits_test.get_gt_labels()
    groups = digits_test.get_group_ids()
    concat = ConcatDataset([digits_test, digits_test])
    np.testing.assert_array_equal(get_labels(concat),
                                  np.concatenate([labels, labels]))
    np.testing.assert_array_equal(get_group_ids(concat),
                                  np.concatenate([groups, groups]))
    repeat = RepeatDataset(digits_test, times=3)
    np.testing.assert_array_equal(get_labels(repeat), np.tile(labels, 3))
    lt = LongTailDataset(digits_test, imbalance_ratio=10)
    balanced = ClassBalancedDataset(lt, oversample_thr=0.1)
    got = get_labels(balanced)
    assert len(got) == len(balanced)
    np.testing.assert_array_equal(
        got, [balanced.get_cat_ids(i)[0] for i in range(len(balanced))])
    np.testing.assert_array_equal(
        get_class_counts(ConcatDataset([digits_test, lt])),
        40 + lt.class_counts)


def test_label_helper_through_the_runner_sliced_dataset(digits_test):
    from mmengine.runner.runner import _SlicedDataset
    sliced = _SlicedDataset(digits_test, 17)
    # the sliced dataset forwards get_gt_labels() to the full dataset
    assert len(sliced.get_gt_labels()) == len(digits_test)
    np.testing.assert_array_equal(get_labels(sliced),
                                  digits_test.get_gt_labels()[:17])
    assert len(get_group_ids(sliced)) == 17


def test_label_helper_on_mmpretrain_dataset_without_groups(tmp_path):
    from mmpretrain.datasets import CustomDataset
    for cls in ('a', 'b'):
        (tmp_path / cls).mkdir()
    import cv2
    cv2.imwrite(str(tmp_path / 'a' / '1.png'), np.zeros((4, 4, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'b' / '1.png'), np.zeros((4, 4, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'b' / '2.png'), np.zeros((4, 4, 3), np.uint8))
    ds = CustomDataset(data_root=str(tmp_path), with_label=True)
    np.testing.assert_array_equal(get_labels(ds), [0, 1, 1])
    np.testing.assert_array_equal(get_group_ids(ds), [0, 0, 0])
    np.testing.assert_array_equal(get_class_counts(ds), [1, 2])


def test_label_helper_rejects_unknown_objects():
    with pytest.raises(TypeError, match='cannot read labels of list'):
        get_labels([1, 2, 3])


def test_held_out_split_is_balanced_disjoint_and_leaves_the_subset_alone():
    source = dict(type='DigitsLT', split='test', test_per_class=40)
    common = dict(imbalance_ratio=8, max_count=30, seed=3)
    plain = DATASETS.build(dict(type='LongTailDataset', dataset=source,
                                **common))
    held = DATASETS.build(
        dict(type='LongTailDataset', dataset=source, split='held_out',
             held_out_per_class=10, **common))
    np.testing.assert_array_equal(held.class_counts, [10] * 10)
    assert not set(plain.indices.tolist()) & set(held.indices.tolist())
    # the long-tailed draw is the one without a held-out split
    np.testing.assert_array_equal(
        plain.indices,
        DATASETS.build(dict(type='LongTailDataset', dataset=source,
                            **common)).indices)
    labels = get_labels(plain.dataset)
    assert (labels[held.indices] == get_labels(held)).all()
    assert "split='held_out'" in repr(held)


def test_held_out_split_bad_arguments():
    source = dict(type='DigitsLT', split='test', test_per_class=40)
    with pytest.raises(ValueError, match="split='val'"):
        LongTailDataset(source, imbalance_ratio=8, split='val')
    with pytest.raises(ValueError, match='held_out_per_class=None'):
        LongTailDataset(source, imbalance_ratio=8, split='held_out')
    with pytest.raises(ValueError, match='held_out_per_class=5'):
        LongTailDataset(source, imbalance_ratio=8, held_out_per_class=5)
    with pytest.raises(ValueError, match='per_class=0'):
        LongTailDataset(source, imbalance_ratio=8, split='held_out',
                        held_out_per_class=0)
    # the head class keeps all 40 images: nothing is left to hold out
    with pytest.raises(ValueError, match='class 0 has 40 images.*keeps 40'):
        LongTailDataset(source, imbalance_ratio=8, split='held_out',
                        held_out_per_class=5)
