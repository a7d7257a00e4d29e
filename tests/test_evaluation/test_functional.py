import math

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import recall_score

from mmlt.evaluation.functional import (balanced_accuracy, confusion_matrix,
                                        group_class_recall, gt_rank,
                                        masked_mean_recall, per_class_scores,
                                        shot_masks, topk_accuracy,
                                        validated_min, validated_std,
                                        weighted_mean)


def test_gt_rank_matches_stable_argsort_with_ties():
    rng = np.random.default_rng(0)
    # Few distinct values, so ties are frequent.
    scores = rng.integers(0, 3, size=(200, 6)).astype(np.float32)
    labels = rng.integers(0, 6, size=200)
    order = np.argsort(-scores, axis=1, kind='stable')
    expected = np.argmax(order == labels[:, None], axis=1)
    np.testing.assert_array_equal(gt_rank(scores, labels), expected)
    # Rank 0 is exactly argmax.
    assert ((gt_rank(scores, labels) == 0) == (scores.argmax(1) == labels)
            ).all()
    assert int(gt_rank(scores[0], labels[0])) == expected[0]
    for k in (1, 3, 6):
        assert topk_accuracy(expected, k) == pytest.approx(
            np.mean((order[:, :k] == labels[:, None]).any(1)))


def test_confusion_and_scores():
    gt = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([0, 1, 1, 2, 0, 1])
    cm = confusion_matrix(gt, pred, 4)
    np.testing.assert_array_equal(
        cm, sk_confusion_matrix(gt, pred, labels=np.arange(4)))
    p, r, f, s = per_class_scores(cm)
    np.testing.assert_allclose(r, [0.5, 1.0, 1 / 3, 0.0])
    np.testing.assert_allclose(p, [0.5, 1 / 3, 1.0, 0.0])
    np.testing.assert_array_equal(s, [2, 1, 3, 0])
    assert f[3] == 0.0
    assert balanced_accuracy(r, s) == pytest.approx((0.5 + 1 + 1 / 3) / 3)
    assert weighted_mean(f, s) == pytest.approx((f * s).sum() / 6)
    assert weighted_mean(f, np.zeros(4)) == 0.0


def test_shot_masks_boundaries():
    masks = shot_masks([101, 100, 20, 19, 0], 100, 20)
    np.testing.assert_array_equal(masks['many'], [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(masks['medium'], [0, 1, 1, 0, 0])
    np.testing.assert_array_equal(masks['few'], [0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match='few_shot_thr'):
        shot_masks([1], 20, 20)


def test_masked_mean_recall_skips_absent_classes():
    recall = np.array([1.0, 0.0, 0.5])
    support = np.array([3, 0, 2])
    assert masked_mean_recall(recall, support, [1, 1, 0]) == 1.0
    assert math.isnan(masked_mean_recall(recall, support, [0, 1, 0]))
    assert math.isnan(masked_mean_recall(recall, support, [0, 0, 0]))


def test_group_class_recall_by_hand():
    # group 0: class 0 twice (1 right), class 1 once (right)
    # group 3: class 0 once (right), class 1 three times (2 right)
    gt = [0, 0, 1, 0, 1, 1, 1]
    pred = [0, 1, 1, 0, 0, 1, 1]
    groups = [0, 0, 0, 3, 3, 3, 3]
    ids, support, recall = group_class_recall(gt, pred, groups, 3)
    np.testing.assert_array_equal(ids, [0, 3])
    np.testing.assert_array_equal(support, [[2, 1, 0], [1, 3, 0]])
    np.testing.assert_allclose(recall, [[0.5, 1.0, np.nan],
                                        [1.0, 2 / 3, np.nan]])


def test_group_class_recall_matches_sklearn_per_group():
    rng = np.random.default_rng(4)
    gt = rng.integers(0, 6, size=300)
    pred = np.where(rng.random(300) < 0.6, gt, rng.integers(0, 6, size=300))
    groups = rng.choice([0, 2, 7], size=300, p=[0.6, 0.3, 0.1])
    gt[groups == 7] = np.minimum(gt[groups == 7], 3)  # 4, 5 absent there
    ids, support, recall = group_class_recall(gt, pred, groups, 6)
    np.testing.assert_array_equal(ids, [0, 2, 7])
    for g, group in enumerate(ids):
        keep = groups == group
        np.testing.assert_array_equal(
            support[g], np.bincount(gt[keep], minlength=6))
        present = support[g] > 0
        expected = recall_score(gt[keep], pred[keep], labels=np.arange(6),
                                average=None, zero_division=0)
        np.testing.assert_allclose(recall[g][present], expected[present])
        assert np.isnan(recall[g][~present]).all()
    assert not support[2, 4:].any()
    # summed over groups, the counts are the overall per-class support
    np.testing.assert_array_equal(support.sum(0), np.bincount(gt,
                                                              minlength=6))


def test_group_class_recall_length_mismatch():
    with pytest.raises(ValueError, match=r'group_ids \(2\)'):
        group_class_recall([0, 1, 1], [0, 1, 0], [0, 1], 2)


def test_validated_min_and_population_std_skip_unvalidated_classes():
    values = np.array([0.5, 0.8, 0.0, 0.1])
    support = np.array([2, 2, 1, 0])  # class 3 has no image: left out
    assert validated_min(values, support) == 0.0
    assert validated_min(values, np.array([2, 2, 0, 1])) == 0.1
    # ddof=0: divided by the 3 validated classes
    mean = 1.3 / 3
    expected = math.sqrt(((0.5 - mean)**2 + (0.8 - mean)**2 + mean**2) / 3)
    assert validated_std(values, support) == pytest.approx(expected)
    assert validated_std(values, np.array([0, 3, 0, 0])) == 0.0
    assert math.isnan(validated_min(values, np.zeros(4)))
    assert math.isnan(validated_std(values, np.zeros(4)))
