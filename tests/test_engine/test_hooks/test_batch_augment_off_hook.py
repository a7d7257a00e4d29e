import pytest

from mmlt.engine.hooks import batch_augments_on
from mmlt.registry import HOOKS
from .schedule_helpers import Classifier, fake_runner, run_epochs


def test_last_epochs_are_off():
    assert [batch_augments_on(e, 10, 3) for e in range(10)] == \
        [True] * 7 + [False] * 3
    assert batch_augments_on(0, 10, 0)


def test_switches_the_preprocessor_and_back():
    augments = object()
    model = Classifier(dict(type='CrossEntropyLoss', use_soft=True),
                       batch_augments=augments)
    hook = HOOKS.build(dict(type='BatchAugmentOffHook', num_last_epochs=0.5))
    runner = fake_runner(model, max_epochs=4)
    states = [
        model.data_preprocessor.batch_augments
        for _ in run_epochs(hook, runner, [0, 1, 2, 3, 0])
    ]
    assert states == [augments, augments, None, None, augments]


def test_needs_batch_augments_and_epochs():
    hook = HOOKS.build(dict(type='BatchAugmentOffHook', num_last_epochs=1))
    with pytest.raises(ValueError, match='no batch_augments'):
        hook.before_train(fake_runner(Classifier(dict(type='FocalLoss'))))
    runner = fake_runner(Classifier(dict(type='FocalLoss'), batch_augments=1))
    runner.train_loop = object()
    hook.before_train(runner)
    with pytest.raises(ValueError, match='epoch-based train loop'):
        hook.before_train_epoch(runner)
    with pytest.raises(ValueError, match='num_last_epochs=-2'):
        HOOKS.build(dict(type='BatchAugmentOffHook', num_last_epochs=-2))
