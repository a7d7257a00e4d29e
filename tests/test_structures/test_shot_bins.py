"""The shot bins: OLTR's split of classes by training count."""
import pytest

from mmlt.evaluation import functional
from mmlt.structures import (FEW_SHOT_THR, MANY_SHOT_THR, SHOT_NAMES,
                             class_shots, shot_masks)


def test_each_class_gets_its_bin_at_the_thresholds():
    masks = shot_masks([101, 100, 20, 19, 0], MANY_SHOT_THR, FEW_SHOT_THR)
    assert class_shots(masks) == ['many', 'medium', 'medium', 'few', 'few']
    assert SHOT_NAMES == ('many', 'medium', 'few')
    with pytest.raises(ValueError, match='must be smaller'):
        shot_masks([1], 20, 20)


def test_the_metric_functions_name_the_same_definition():
    # evaluation re-exports the one definition instead of keeping its own
    assert functional.shot_masks is shot_masks
    assert functional.SHOT_NAMES is SHOT_NAMES
    assert (functional.MANY_SHOT_THR, functional.FEW_SHOT_THR) == (100, 20)
