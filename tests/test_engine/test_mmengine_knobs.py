"""MMEngine's own training knobs on mmlt's metric keys: ReduceOnPlateauLR
and EarlyStoppingHook monitoring ``long_tail/balanced_accuracy`` from
LongTailMetric (both need ``rule='greater'``: ReduceOnPlateauLR's default
is 'less', and it silently skips a monitor key that is not among the
metrics; EarlyStoppingHook(strict=True) stops on one). SWAHook refuses an
EMAHook beside it."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.registry import HOOKS, METRICS

pytestmark = pytest.mark.usefixtures('one_thread')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MONITOR = 'long_tail/balanced_accuracy'


def tiny_cfg(work_dir):
    """ResNet-8 on 64 digits, 2 iterations per epoch, validation each
    epoch on 32 images, SGD at a constant lr 0.1."""
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py'))
    cfg.model = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'models',
                 'resnet32_cifar_lt.py')).model
    cfg.model.backbone.depth = 8
    cfg.optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
    cfg.param_scheduler = []
    cfg.train_dataloader.dataset.indices = 64
    cfg.val_dataloader.dataset.indices = 32
    cfg.val_evaluator = dict(type='LongTailMetric', topk=1,
                             print_report=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=1)
    cfg.default_hooks.long_tail_context.plot = False
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'knobs_{osp.basename(work_dir)}'
    return cfg


def test_plateau_lr_and_early_stopping_on_balanced_accuracy(tmp_path):
    cfg = tiny_cfg(tmp_path)
    # threshold 100 (abs): no epoch counts as an improvement after the
    # first, so each acts after the second validation
    cfg.param_scheduler = [
        dict(type='ReduceOnPlateauLR', monitor=MONITOR, rule='greater',
             factor=0.5, patience=0, threshold=100, threshold_rule='abs',
             by_epoch=True)
    ]
    cfg.custom_hooks = [
        dict(type='EarlyStoppingHook', monitor=MONITOR, rule='greater',
             patience=1, min_delta=100, strict=True)
    ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 2  # stopped after 2 of 4 epochs
    assert runner.optim_wrapper.get_lr()['lr'] == [0.05]


def test_a_misspelled_monitor_stops_early_stopping_with_strict():
    # LongTailMetric's keys carry the prefix long_tail/
    metric = METRICS.build(dict(type='LongTailMetric', topk=1,
                                print_report=False))
    metric.process(None, [dict(pred_score=torch.tensor([0.9, 0.1]),
                               gt_label=torch.tensor([0]))])
    metrics = {f'long_tail/{k}': v
               for k, v in metric.compute_metrics(metric.results).items()}
    assert MONITOR in metrics
    runner = SimpleNamespace(train_loop=SimpleNamespace(stop_training=False))
    hook = HOOKS.build(dict(type='EarlyStoppingHook',
                            monitor='balanced_accuracy', rule='greater',
                            strict=True))
    with pytest.raises(RuntimeError, match='balanced_accuracy'):
        hook.after_val_epoch(runner, metrics)
    hook = HOOKS.build(dict(type='EarlyStoppingHook', monitor=MONITOR,
                            rule='greater', strict=True))
    hook.after_val_epoch(runner, metrics)
    assert hook.best_score == metrics[MONITOR] == 100


def test_swa_refuses_ema_beside_it(tmp_path):
    cfg = tiny_cfg(tmp_path)
    cfg.default_hooks.swa = dict(type='SWAHook', swa_start=0)
    cfg.custom_hooks = [dict(type='EMAHook')]
    with pytest.raises(ValueError, match='SWAHook and EMAHook'):
        Runner.from_cfg(cfg).train()


def test_onecycle_accumulation_with_cp_cudnn_benchmark_and_ema(tmp_path):
    """The rest of MMEngine's knobs on the digits demo, together with mmlt's
    hooks, head and metric: OneCycleLR, gradient accumulation, ConvNeXt's
    activation checkpointing, cudnn_benchmark and EMAHook."""
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py'))
    cfg.model.backbone.with_cp = True
    cfg.train_dataloader.dataset.indices = 64  # 2 iterations per epoch
    cfg.val_dataloader.dataset.indices = 32
    cfg.val_evaluator = dict(type='LongTailMetric', topk=1,
                             print_report=False)
    cfg.optim_wrapper.accumulative_counts = 2
    cfg.param_scheduler = [
        dict(type='OneCycleLR', eta_max=0.01, total_steps=4, by_epoch=False)
    ]
    cfg.env_cfg.cudnn_benchmark = True
    cfg.custom_hooks = [dict(type='EMAHook', momentum=0.5)]
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=2)
    cfg.default_hooks.long_tail_context.plot = False
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'knobs_{tmp_path.name}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    # 4 iterations, accumulated in pairs: 2 AdamW steps
    state = runner.optim_wrapper.optimizer.state
    assert {int(s['step']) for s in state.values()} == {2}
    # OneCycleLR: up towards eta_max and down again
    lrs = runner.message_hub.get_scalar('train/lr').data[0].tolist()
    assert lrs[0] < lrs[1] <= 0.01 and lrs[-1] < lrs[1]
    # the checkpoint holds the EMA weights, which are not the trained ones
    ckpt = torch.load(osp.join(tmp_path, 'epoch_2.pth'),
                      weights_only=False)
    key = 'head.fc.weight'
    assert not torch.equal(ckpt['state_dict'][key],
                           runner.model.state_dict()[key])
    # the validation ran with mmlt's metric (on the EMA weights)
    assert runner.message_hub.get_scalar(
        'val/long_tail/balanced_accuracy').current() >= 0
