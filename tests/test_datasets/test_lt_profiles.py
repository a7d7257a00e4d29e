import numpy as np
import pytest

from mmlt.datasets.lt_profiles import (long_tail_counts,
                                       sample_long_tail_indices)


def test_exp_profile_matches_formula_and_published_sizes():
    counts = long_tail_counts(10, 5000, 100)
    expected = [int(5000 * 100**(-i / 9)) for i in range(10)]
    np.testing.assert_array_equal(counts, expected)
    # Sizes reported for CIFAR-10-LT / CIFAR-100-LT at IR 100 (Cao et al.
    # 2019 and follow-ups): 12,406 and 10,847 training images.
    assert counts.sum() == 12406
    assert long_tail_counts(100, 500, 100).sum() == 10847
    assert counts[0] == 5000 and counts[-1] == 50


def test_step_profile_and_class_order():
    counts = long_tail_counts(5, 100, 10, profile='step')
    np.testing.assert_array_equal(counts, [100, 100, 100, 10, 10])
    counts = long_tail_counts(4, 100, 10, class_order=[3, 2, 1, 0])
    np.testing.assert_array_equal(counts, [10, 21, 46, 100])


@pytest.mark.parametrize('kwargs,message', [
    (dict(imbalance_ratio=0.5), 'imbalance_ratio=0.5'),
    (dict(profile='linear'), "profile='linear'"),
    (dict(class_order=[0, 0, 1]), r'class_order=\[0, 0, 1\]'),
    (dict(max_count=0), 'max_count=0'),
    (dict(max_count=5, imbalance_ratio=10), r'leaves classes \[2\]'),
])
def test_bad_profiles(kwargs, message):
    args = dict(num_classes=3, max_count=100, imbalance_ratio=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        long_tail_counts(**args)


def test_subset_is_the_reference_protocol_draw():
    rng = np.random.RandomState(1)
    labels = rng.randint(0, 4, size=400)
    target = [50, 20, 9, 4]
    keep = sample_long_tail_indices(labels, target, seed=0)
    np.testing.assert_array_equal(np.bincount(labels[keep]), target)
    # the reference code: np.random.seed(0); per class shuffle; first n
    np.random.seed(0)
    reference = []
    for c, n in enumerate(target):
        idx = np.where(labels == c)[0]
        np.random.shuffle(idx)
        reference.extend(idx[:n])
    np.testing.assert_array_equal(keep, np.sort(reference))
    other = sample_long_tail_indices(labels, target, seed=1)
    assert set(other) != set(keep)


def test_subset_refuses_short_classes():
    labels = np.array([0] * 10 + [1] * 3)
    with pytest.raises(ValueError, match='class 1 has 3 images but'):
        sample_long_tail_indices(labels, [5, 4])
