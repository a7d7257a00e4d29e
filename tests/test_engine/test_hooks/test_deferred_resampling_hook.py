import os.path as osp
from types import SimpleNamespace

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.engine.hooks.deferred_resampling_hook import (drs_active,
                                                       resolve_switch_epoch)
from mmlt.registry import HOOKS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')


class _Recorder(Hook):
    """Records each epoch's strategy and the sample indices trained on."""

    def __init__(self, log):
        self.log = log

    def before_train_epoch(self, runner):
        sampler = runner.train_dataloader.sampler
        self.log.setdefault('strategy', {})[runner.epoch] = sampler.strategy

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        idx = [int(s.sample_idx) for s in data_batch['data_samples']]
        self.log.setdefault('indices', {}).setdefault(runner.epoch,
                                                      []).extend(idx)


def drs_cfg(work_dir, max_epochs, switch_epoch=2):
    cfg = Config.fromfile(DEMO)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'drs_{osp.basename(str(work_dir))}_{max_epochs}'
    cfg.train_cfg = dict(by_epoch=True, max_epochs=max_epochs)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.train_dataloader.sampler = dict(
        type='RebalancedSampler', strategy='instance')
    cfg.train_dataloader.num_batch_per_epoch = 2
    cfg.custom_hooks.append(
        dict(type='DeferredResamplingHook', switch_epoch=switch_epoch))
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    return cfg


def run(cfg, log):
    runner = Runner.from_cfg(cfg)
    runner.register_hook(_Recorder(log), priority='LOWEST')
    runner.train()
    return runner


def test_switch_at_the_boundary_epoch_and_exact_resume(tmp_path):
    full = {}
    run(drs_cfg(tmp_path / 'full', 4), full)
    # 0-based: epochs 0 and 1 instance, from epoch 2 class-balanced
    assert full['strategy'] == {
        0: 'instance', 1: 'instance', 2: 'class_balanced',
        3: 'class_balanced'
    }
    # interrupted after 3 epochs (inside the deferred stage), resumed to 4
    part = {}
    run(drs_cfg(tmp_path / 'part', 3), part)
    resumed = {}
    cfg = drs_cfg(tmp_path / 'part', 4)
    cfg.resume = True
    runner = run(cfg, resumed)
    assert runner.epoch == 4
    assert list(resumed['strategy']) == [3]
    assert resumed['strategy'][3] == 'class_balanced'
    for epoch in range(3):
        assert part['indices'][epoch] == full['indices'][epoch]
    assert resumed['indices'][3] == full['indices'][3]
    assert full['indices'][2] != full['indices'][3]


def test_resume_before_the_switch_restores_the_initial_strategy(tmp_path):
    run(drs_cfg(tmp_path, 1), {})
    log = {}
    cfg = drs_cfg(tmp_path, 3, switch_epoch=-1)  # the last epoch: 2
    cfg.resume = True
    run(cfg, log)
    assert log['strategy'] == {1: 'instance', 2: 'class_balanced'}


def test_pure_decision_and_bad_arguments():
    assert not drs_active(1, 2) and drs_active(2, 2) and drs_active(3, 2)
    assert resolve_switch_epoch(3, 10) == 3
    assert resolve_switch_epoch(-2, 10) == 8
    with pytest.raises(ValueError, match='switch_epoch=-11 is before'):
        resolve_switch_epoch(-11, 10)
    assert resolve_switch_epoch(0.8, 200) == 160
    assert resolve_switch_epoch(0.8, 4) == 3
    with pytest.raises(ValueError, match=r'switch_epoch=1.5 must be an int epoch'):
        HOOKS.build(dict(type='DeferredResamplingHook', switch_epoch=1.5))
    with pytest.raises(ValueError, match="switch_epoch='2'"):
        HOOKS.build(dict(type='DeferredResamplingHook', switch_epoch='2'))
    with pytest.raises(ValueError, match="strategy='progressive'"):
        HOOKS.build(
            dict(type='DeferredResamplingHook', switch_epoch=1,
                 strategy='progressive'))
    hook = HOOKS.build(dict(type='DeferredResamplingHook', switch_epoch=1))
    runner = SimpleNamespace(
        train_dataloader=SimpleNamespace(sampler=object(),
                                         batch_sampler=None))
    with pytest.raises(TypeError, match='RebalancedSampler'):
        hook.before_train(runner)
