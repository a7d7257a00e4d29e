from types import SimpleNamespace

import pytest

import mmlt  # noqa: F401
from mmlt.registry import HOOKS


def fake_runner(iteration=7, epoch=2):
    return SimpleNamespace(iter=iteration, epoch=epoch)


def test_nan_or_inf_loss_stops_with_epoch_and_key():
    hook = HOOKS.build(dict(type='CheckFiniteLossHook'))
    hook.after_train_iter(fake_runner(), 0, outputs=dict(loss=1.5, acc=1.))
    with pytest.raises(FloatingPointError,
                       match=r'loss_cls = nan at epoch 2 .*iteration 7'):
        hook.after_train_iter(
            fake_runner(), 3, outputs=dict(loss=1.0, loss_cls=float('nan')))
    with pytest.raises(FloatingPointError, match='loss = inf'):
        hook.after_train_iter(fake_runner(), 0,
                              outputs=dict(loss=float('inf')))
    # non-loss values are not checked
    hook.after_train_iter(fake_runner(), 0,
                          outputs=dict(loss=1.0, grad_norm=float('nan')))


def test_interval_and_bad_arguments():
    hook = HOOKS.build(dict(type='CheckFiniteLossHook', interval=2))
    # runner.iter=0 -> (0 + 1) % 2 != 0: not checked
    hook.after_train_iter(fake_runner(iteration=0), 0,
                          outputs=dict(loss=float('nan')))
    with pytest.raises(FloatingPointError):
        hook.after_train_iter(fake_runner(iteration=1), 0,
                              outputs=dict(loss=float('nan')))
    with pytest.raises(ValueError, match='interval=0'):
        HOOKS.build(dict(type='CheckFiniteLossHook', interval=0))
