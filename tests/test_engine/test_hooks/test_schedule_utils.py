import pytest

import mmlt  # noqa: F401
from mmlt.engine.hooks.group_weight_curriculum_hook import (parse_schedule,
                                                            resolve_schedule)
from mmlt.engine.hooks.schedule_utils import resolve_epoch
from mmlt.registry import HOOKS


def test_epochs_and_fractions():
    assert resolve_epoch(160, 200, 'e') == 160
    assert resolve_epoch(0, 200, 'e') == 0
    assert resolve_epoch(0.8, 200, 'e') == 160  # Cao et al.'s DRW switch
    assert resolve_epoch(0.8, 30, 'e') == 24
    assert resolve_epoch(0.5, 5, 'e') == 3  # rounds half up
    assert resolve_epoch(-1, 10, 'e') == 9  # negative: from the end
    assert resolve_epoch(-10, 10, 'e') == 0
    with pytest.raises(ValueError, match='e=-11 is before the first of 10'):
        resolve_epoch(-11, 10, 'e')
    for bad in (1.0, 1.5, 0.0, True, 'x'):
        with pytest.raises(ValueError, match='e='):
            resolve_epoch(bad, 10, 'e')
    with pytest.raises(ValueError, match='n=-1 must be a non-negative int'):
        resolve_epoch(-1, 10, 'n', from_end=False)


# Every schedule hook takes the same epoch forms: an int, a negative int
# from the end, a fraction of the schedule.
EPOCH_FORMS = [(3, 3), (-2, 8), (0.35, 4)]


@pytest.mark.parametrize('value, epoch', EPOCH_FORMS)
@pytest.mark.parametrize('hook, key', [
    ('DeferredReweightingHook', 'start_epoch'),
    ('IBWarmStartHook', 'start_epoch'),
    ('DeferredResamplingHook', 'switch_epoch'),
])
def test_every_schedule_hook_takes_the_same_forms(hook, key, value, epoch):
    built = HOOKS.build({'type': hook, key: value})
    assert resolve_epoch(getattr(built, key), 10, key) == epoch


@pytest.mark.parametrize('value, epoch', EPOCH_FORMS)
def test_curriculum_keys_take_the_same_forms(value, epoch):
    hook = HOOKS.build(dict(type='GroupWeightCurriculumHook',
                            schedule={0: 1.0, value: 2.0}))
    assert resolve_schedule(hook.schedule, 10) == {0: 1.0, epoch: 2.0}


def test_curriculum_schedule_errors():
    assert parse_schedule({'0': 1, '0.5': 2}) == {0: 1.0, 0.5: 2.0}
    with pytest.raises(ValueError, match='must give the weight of epoch 0'):
        parse_schedule({0.5: 2.0})
    with pytest.raises(ValueError, match='two keys fall on epoch 5 of 10'):
        resolve_schedule(parse_schedule({0: 1., 5: 2., 0.5: 3.}), 10)
    with pytest.raises(ValueError, match=r"schedule key 1.5: epoch=1.5"):
        parse_schedule({0: 1., 1.5: 2.})
