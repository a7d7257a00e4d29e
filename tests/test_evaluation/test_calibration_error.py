"""Expected calibration error (Guo et al. 2017) and its paired change."""
import numpy as np
import pytest

from mmlt.evaluation.calibration_error import (calibration_changes,
                                               expected_calibration_error)


def _loop_ece(conf, correct, bins=15):
    """Guo et al.'s Eq. 3 written out: bins ((m-1)/M, m/M]."""
    total = 0.0
    for m in range(1, bins + 1):
        lo, hi = (m - 1) / bins, m / bins
        inside = (conf > lo) & (conf <= hi) if m > 1 else (conf <= hi)
        if inside.any():
            total += inside.sum() / conf.size * abs(
                correct[inside].mean() - conf[inside].mean())
    return total


def test_ece_equals_the_equation_per_row():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.1, 1.0, (3, 200))
    correct = rng.random((3, 200)) < conf ** 2
    ece = expected_calibration_error(conf, correct)
    for i in range(3):
        assert ece[i] == pytest.approx(_loop_ece(conf[i], correct[i]))
    keep = conf > 0.5
    masked = expected_calibration_error(conf, correct, keep=keep)
    assert masked[0] == pytest.approx(_loop_ece(conf[0][keep[0]],
                                                correct[0][keep[0]]))
    assert np.ndim(expected_calibration_error(conf[0], correct[0])) == 0


def test_a_calibrated_model_has_a_small_ece_and_an_overconfident_one_not():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.3, 1.0, 20000)
    assert expected_calibration_error(conf, rng.random(20000) < conf) < 0.01
    assert expected_calibration_error(np.full(100, 0.99),
                                      np.arange(100) < 60) == \
        pytest.approx(0.39)


def test_calibration_changes_name_a_drop_help():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 200)
    logits = rng.normal(size=(600, 3))
    logits[np.arange(600), labels] += 1.0
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    sharp = np.exp(5 * logits) / np.exp(5 * logits).sum(1, keepdims=True)
    before, after, changes = calibration_changes(
        labels, sharp, probs, class_counts=np.array([500, 50, 5]),
        num_resamples=300)
    assert set(changes) == {'ece', 'many_shot_ece', 'medium_shot_ece',
                            'few_shot_ece'}
    assert after['ece'] < before['ece']
    assert changes['ece'].delta == pytest.approx(after['ece'] -
                                                 before['ece'])
    assert changes['ece'].verdict == 'helps'
    with pytest.raises(ValueError, match='num_bins=0'):
        expected_calibration_error(np.ones(2), np.ones(2), num_bins=0)
