"""Calibration images: class-balanced draws give the tail its share."""
import numpy as np
import pytest
from mmengine.config import Config

from mmlt.deploy.calibration import calibration_indices
from mmlt.deploy.data import build_loaded_dataset
from conftest import DIGITS


@pytest.fixture(scope='module')
def train_set():
    cfg = Config.fromfile(DIGITS)
    return build_loaded_dataset(cfg.train_dataloader.dataset, [])


def _per_class(dataset, indices):
    from mmlt.datasets.label_utils import get_labels
    return np.bincount(get_labels(dataset)[indices], minlength=10)


def test_class_balanced_draws_more_tail_images(train_set):
    balanced = calibration_indices(train_set, 100, 'class_balanced', seed=0)
    instance = calibration_indices(train_set, 100, 'instance', seed=0)
    for idx in (balanced, instance):
        assert len(idx) == 100 and len(set(idx.tolist())) == 100
    b, i = _per_class(train_set, balanced), _per_class(train_set, instance)
    # digits-LT: class 0 has 134 training images, class 9 has 13
    assert b[9] > i[9] and b[0] < i[0]
    assert b.max() - b.min() < i.max() - i.min()
    # deterministic for a seed
    np.testing.assert_array_equal(
        balanced, calibration_indices(train_set, 100, 'class_balanced', 0))


def test_more_than_the_set_takes_all_of_it(train_set):
    idx = calibration_indices(train_set, 10**6, 'instance')
    assert sorted(idx.tolist()) == list(range(len(train_set)))


@pytest.mark.parametrize('args, match', [
    ((10, 'sqrt'), "strategy 'sqrt' is not one of"),
    ((0, 'instance'), 'positive int, got 0'),
])
def test_bad_arguments(train_set, args, match):
    with pytest.raises(ValueError, match=match):
        calibration_indices(train_set, *args)
