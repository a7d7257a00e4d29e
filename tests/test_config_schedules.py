"""The CIFAR-LT schedule config gives LDAM-DRW's learning rates exactly."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS

import mmlt  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCHEDULE = osp.join(ROOT, 'configs', '_base_', 'schedules',
                    'cifar_lt_sgd_200e.py')


def ldam_drw_lr(epoch: int, base_lr: float = 0.1) -> float:
    """adjust_learning_rate of the LDAM-DRW code (cifar_train.py), 0-based
    epoch in."""
    epoch = epoch + 1
    if epoch <= 5:
        return base_lr * epoch / 5
    if epoch > 180:
        return base_lr * 1e-4
    if epoch > 160:
        return base_lr * 1e-2
    return base_lr


def test_cifar_lt_schedule_matches_ldam_drw_at_every_epoch():
    cfg = Config.fromfile(SCHEDULE)
    assert cfg.train_cfg.max_epochs == 200
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 0.1,
                                                                  0.9, 2e-4)
    assert cfg.auto_scale_lr.base_batch_size == 128
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 2), cfg.optim_wrapper)
    schedulers = [
        PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=wrapper))
        for s in cfg.param_scheduler
    ]
    seen = []
    for _ in range(cfg.train_cfg.max_epochs):
        seen.append(wrapper.optimizer.param_groups[0]['lr'])
        wrapper.optimizer.step()  # the epoch's training (no gradients)
        for s in schedulers:  # ParamSchedulerHook, after each epoch
            s.step()
    expected = [ldam_drw_lr(e) for e in range(200)]
    assert seen == pytest.approx(expected, rel=1e-9)
    # the boundaries, spelled out
    assert seen[0] == pytest.approx(0.02) and seen[4] == pytest.approx(0.1)
    assert seen[159] == pytest.approx(0.1) and seen[160] == pytest.approx(1e-3)
    assert seen[179] == pytest.approx(1e-3)
    assert seen[180] == pytest.approx(1e-5)
