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


def _lr_per_epoch(hook, max_epochs=8, iters=3, resume_at=None):
    """Learning rate at the start of every epoch under the protocol's
    schedule (linear warm-up, then cosine to 0, stepped every iteration),
    with ``hook`` switching to IB; ``resume_at``: a second hook instance
    takes over from that epoch, as after a resume."""
    from mmengine.optim import CosineAnnealingLR, LinearLR, OptimWrapper
    from torch import nn, optim
    net = nn.Linear(2, 2)
    wrapper = OptimWrapper(optim.SGD(net.parameters(), lr=0.1))
    schedulers = [
        LinearLR(wrapper, start_factor=0.2, begin=0, end=2 * iters),
        CosineAnnealingLR(wrapper, begin=2 * iters, T_max=6 * iters,
                          eta_min=0.0),
    ]
    model = Classifier(dict(type='InfluenceBalancedLoss'))
    runner = fake_runner(model, max_epochs=max_epochs, optim_wrapper=wrapper)
    lrs = []
    epochs = list(range(max_epochs))
    first = epochs if resume_at is None else epochs[:resume_at]
    for part, h in ((first, hook), (epochs[len(first):], None)):
        if not part:
            continue
        h = h or HOOKS.build(dict(type='IBWarmStartHook',
                                  start_epoch=hook.start_epoch,
                                  lr_factor=hook.lr_factor))
        for _ in run_epochs(h, runner, part):
            lrs.append(wrapper.param_groups[0]['lr'])
            for _ in range(iters):
                for s in schedulers:
                    s.step()
    return lrs


def test_lr_drops_once_when_ib_starts_and_the_schedule_keeps_it():
    keep = _lr_per_epoch(HOOKS.build(
        dict(type='IBWarmStartHook', start_epoch=0.5, lr_factor=1.0)))
    drop = _lr_per_epoch(HOOKS.build(
        dict(type='IBWarmStartHook', start_epoch=0.5)))
    # epochs 0-3 cross-entropy at the schedule's rate, 4-7 IB at 0.01 of it
    assert drop[:4] == pytest.approx(keep[:4])
    assert drop[4:] == pytest.approx([0.01 * lr for lr in keep[4:]])
    assert keep[4] > 0.01
    # a run resumed in the IB phase keeps the lowered rate, lowered once
    resumed = _lr_per_epoch(HOOKS.build(
        dict(type='IBWarmStartHook', start_epoch=0.5)), resume_at=6)
    assert resumed == pytest.approx(drop)


@pytest.mark.parametrize('factor', [0, 1.5, -0.1, True, '0.01'])
def test_lr_factor_is_validated(factor):
    with pytest.raises(ValueError, match=f'lr_factor={factor!r}'):
        HOOKS.build(dict(type='IBWarmStartHook', lr_factor=factor))
