import pytest

from mmlt.engine.hooks.schedule_utils import resolve_epoch


def test_epochs_and_fractions():
    assert resolve_epoch(160, 200, 'e') == 160
    assert resolve_epoch(0, 200, 'e') == 0
    assert resolve_epoch(0.8, 200, 'e') == 160  # Cao et al.'s DRW switch
    assert resolve_epoch(0.8, 30, 'e') == 24
    assert resolve_epoch(0.5, 5, 'e') == 3  # rounds half up
    for bad in (-1, 1.0, 1.5, 0.0, True, 'x'):
        with pytest.raises(ValueError, match='e='):
            resolve_epoch(bad, 10, 'e')
