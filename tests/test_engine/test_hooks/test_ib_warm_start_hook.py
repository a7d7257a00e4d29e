import pytest

from mmlt.engine.hooks import ib_active
from mmlt.registry import HOOKS
from .schedule_helpers import Classifier, fake_runner, run_epochs


def test_switch_epoch():
    assert not ib_active(99, 100)
    assert ib_active(100, 100)


def test_use_ib_follows_the_epoch():
    model = Classifier(dict(type='InfluenceBalancedFocalLoss'))
    hook = HOOKS.build(dict(type='IBWarmStartHook', start_epoch=2))
    runner = fake_runner(model)
    states = [
        model.head.loss_module.use_ib
        for _ in run_epochs(hook, runner, [0, 1, 2, 3, 1])
    ]
    assert states == [False, False, True, True, False]


def test_needs_the_ib_loss():
    hook = HOOKS.build(dict(type='IBWarmStartHook'))
    with pytest.raises(TypeError, match='InfluenceBalancedLoss'):
        hook.before_train(fake_runner(Classifier(dict(type='LDAMLoss'))))
    with pytest.raises(ValueError, match='start_epoch=1.5'):
        HOOKS.build(dict(type='IBWarmStartHook', start_epoch=1.5))
