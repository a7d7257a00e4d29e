import pytest

from mmlt.engine.hooks import parse_schedule, piecewise_value
from mmlt.engine.hooks.group_weight_curriculum_hook import resolve_schedule
from mmlt.registry import HOOKS
from .schedule_helpers import Classifier, fake_runner, run_epochs

SCHEDULE = {0: 1.0, 50: 1.5, 100: 2.0}


def test_piecewise_step_switches_at_the_key_epoch():
    values = [piecewise_value(SCHEDULE, e) for e in (0, 49, 50, 99, 100, 500)]
    assert values == [1.0, 1.0, 1.5, 1.5, 2.0, 2.0]


def test_linear_ramp():
    ramp = {0: 1.0, 100: 2.0}
    assert piecewise_value(ramp, 25, 'linear') == 1.25
    assert piecewise_value(ramp, 100, 'linear') == 2.0
    assert piecewise_value(ramp, 150, 'linear') == 2.0
    assert piecewise_value(SCHEDULE, 75, 'linear') == 1.75


def test_schedule_is_validated():
    assert list(resolve_schedule(parse_schedule({'10': 2.0, 0: 1.0}),
                                 20)) == [0, 10]
    with pytest.raises(ValueError, match='epoch 0'):
        parse_schedule({5: 1.0})
    with pytest.raises(ValueError, match='two keys fall on epoch 0 of 1'):
        resolve_schedule(parse_schedule({0: 1.0, -1: 2.0}), 1)
    with pytest.raises(ValueError, match='key 1.5'):
        parse_schedule({0: 1.0, 1.5: 2.0})
    with pytest.raises(ValueError, match=r'schedule\[3\]=-2'):
        parse_schedule({0: 1.0, 3: -2})
    with pytest.raises(ValueError, match="interpolation='cubic'"):
        HOOKS.build(dict(type='GroupWeightCurriculumHook', schedule=SCHEDULE,
                         interpolation='cubic'))
    with pytest.raises(ValueError, match='groups='):
        HOOKS.build(dict(type='GroupWeightCurriculumHook', schedule=SCHEDULE,
                         groups=[-1]))


def test_sets_the_head_group_weights_keeping_other_groups():
    model = Classifier(dict(type='CrossEntropyLoss'),
                       group_weight={2: 0.5})
    hook = HOOKS.build(dict(type='GroupWeightCurriculumHook',
                            schedule={0: 1.0, 2: 3.0}, groups=[1, 3],
                            interpolation='linear'))
    runner = fake_runner(model)
    weights = [dict(model.head.group_weight)
               for _ in run_epochs(hook, runner, [0, 1, 2])]
    assert weights == [{2: 0.5, 1: 1.0, 3: 1.0}, {2: 0.5, 1: 2.0, 3: 2.0},
                       {2: 0.5, 1: 3.0, 3: 3.0}]
