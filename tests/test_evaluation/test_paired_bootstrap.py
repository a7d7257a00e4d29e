"""Paired, class-stratified bootstrap intervals and the metrics they
resample (mmlt.evaluation.paired_bootstrap, mmlt.evaluation.metric_changes)."""
import math

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score

from mmlt.evaluation.metric_changes import (metric_changes, metric_support,
                                            row_metrics)
from mmlt.evaluation.paired_bootstrap import (Change, paired_bootstrap,
                                              stratified_resamples,
                                              to_changes)
from mmlt.structures import shot_masks


def test_resamples_keep_every_class_count_and_stay_in_the_class():
    labels = np.array([0] * 5 + [1] * 2 + [2] * 1 + [0] * 3)
    draws = stratified_resamples(labels, 50, np.random.default_rng(0))
    assert draws.shape == (50, labels.size)
    for row in draws:
        assert np.array_equal(np.bincount(labels[row], minlength=3),
                              np.bincount(labels))
    # a one-image class is drawn every time
    assert (draws == 7).sum(1).tolist() == [1] * 50


def test_identical_predictions_give_a_zero_interval_within_noise():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 200)
    pred = rng.integers(0, 4, 200)
    changes = metric_changes(labels, pred, pred, 4, num_resamples=200)
    ba = changes['balanced_accuracy']
    assert (ba.delta, ba.low, ba.high) == (0.0, 0.0, 0.0)
    assert ba.verdict == 'within noise'


def _population(rng, n_per_class, p_ref, p_new):
    """Labels and two predictions: class c is right with probability
    p_ref[c] / p_new[c] (independently), else predicted as the next
    class."""
    num = len(p_ref)
    labels = np.repeat(np.arange(num), n_per_class)
    wrong = (labels + 1) % num
    ref = np.where(rng.random(labels.size) < np.asarray(p_ref)[labels],
                   labels, wrong)
    new = np.where(rng.random(labels.size) < np.asarray(p_new)[labels],
                   labels, wrong)
    return labels, ref, new


def test_interval_contains_the_true_change():
    p_ref = np.array([0.9, 0.7, 0.5, 0.3])
    p_new = np.array([0.85, 0.75, 0.65, 0.55])
    true_change = 100 * (p_new - p_ref).mean()  # balanced accuracy: +8.75
    rng = np.random.default_rng(1)
    covered = 0
    trials = 40
    for trial in range(trials):
        labels, ref, new = _population(rng, 60, p_ref, p_new)
        ba = metric_changes(labels, ref, new, 4, num_resamples=400,
                            seed=trial)['balanced_accuracy']
        covered += ba.low <= true_change <= ba.high
    # nominal 95%: at least 85% of 40 trials (a binomial 95% lower bound)
    assert covered >= 0.85 * trials
    labels, ref, new = _population(np.random.default_rng(7), 300, p_ref,
                                   p_new)
    ba = metric_changes(labels, ref, new, 4)['balanced_accuracy']
    assert ba.low <= true_change <= ba.high
    assert ba.verdict == 'helps'
    assert metric_changes(labels, new, ref, 4)[
        'balanced_accuracy'].verdict == 'hurts'


def test_the_same_seed_gives_the_same_interval():
    labels, ref, new = _population(np.random.default_rng(0), 30,
                                   [0.5, 0.6], [0.6, 0.7])
    a = metric_changes(labels, ref, new, 2, seed=3)['top1']
    b = metric_changes(labels, ref, new, 2, seed=3)['top1']
    assert a == b


def test_row_metrics_equal_scikit_learn_per_row():
    rng = np.random.default_rng(0)
    num_classes = 6
    counts = np.array([300, 150, 60, 30, 10, 5])
    masks = shot_masks(counts, 100, 20)
    labels = rng.integers(0, 5, (4, 80))  # class 5 never occurs
    preds = rng.integers(0, 6, (4, 80))
    groups = rng.integers(0, 2, (4, 80))
    prior = np.array([0.4, 0.3, 0.1, 0.1, 0.05, 0.05])
    out = row_metrics(labels, preds, num_classes, masks, groups, [0, 1],
                      prior)
    for i in range(4):
        y, p = labels[i], preds[i]
        assert out['balanced_accuracy'][i] == pytest.approx(
            balanced_accuracy_score(y, p))
        present = np.unique(y)
        f1 = f1_score(y, p, labels=present, average=None, zero_division=0)
        assert out['macro_f1'][i] == pytest.approx(f1.mean())
        assert out['worst_class_f1'][i] == pytest.approx(f1.min())
        assert out['top1'][i] == pytest.approx(np.mean(y == p))
        recall = np.array([np.mean(p[y == c] == c) for c in present])
        few = [k for k, c in enumerate(present) if masks['few'][c]]
        assert out['few_shot'][i] == pytest.approx(recall[few].mean())
        q = prior[present] / prior[present].sum()
        assert out['target_top1'][i] == pytest.approx(q @ recall)
        for g in (0, 1):
            assert out[f'group_{g}'][i] == pytest.approx(
                np.mean(p[groups[i] == g] == y[groups[i] == g]))
    support = metric_support(labels[0], masks, groups[0], [0, 1])
    assert support['few_shot'] == int(np.isin(labels[0], [4, 5]).sum())
    assert support['balanced_accuracy'] == 80


def test_a_metric_on_few_images_has_no_interval():
    labels, ref, new = _population(np.random.default_rng(0), 3,
                                   [0.5, 0.5], [1.0, 1.0])
    changes = metric_changes(labels, ref, new, 2, min_images=10)
    top1 = changes['top1']
    assert not top1.has_interval and top1.verdict == 'no interval'
    assert 'too few images for an interval: 6 < 10' in top1.reason
    assert 'too few images' in top1.format()


def test_change_verdicts_and_errors():
    assert Change(1.0, 0.2, 2.0).verdict == 'helps'
    assert Change(-1.0, -2.0, -0.1).verdict == 'hurts'
    assert Change(0.5, -0.1, 1.0).verdict == 'within noise'
    assert Change(0.0, 0.0, 1.0).verdict == 'within noise'  # 0 included
    # an error: a drop helps
    assert Change(-1.0, -2.0, -0.1, higher_is_better=False).verdict == \
        'helps'
    assert Change(math.nan).verdict == '-'
    assert Change(1.23, 0.4, 2.1).format() == '+1.23 [+0.40, +2.10]'
    changes = to_changes(['a'], np.array([0.5]), np.array([np.nan]),
                         np.array([np.nan]), {'a': 50})
    assert changes['a'].reason == 'undefined on every resample'
    with pytest.raises(ValueError, match='num_resamples=0'):
        paired_bootstrap(lambda i: i[:, :1], np.zeros(3), num_resamples=0)
    with pytest.raises(ValueError, match='confidence=1.5'):
        paired_bootstrap(lambda i: i[:, :1], np.zeros(3), confidence=1.5)
    with pytest.raises(ValueError, match='one length'):
        metric_changes(np.zeros(3), np.zeros(3), np.zeros(2), 2)
