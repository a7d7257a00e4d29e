"""The ``tensorboard`` extra: a real training run with MMEngine's
TensorboardVisBackend writes event files holding the training loss and
mmlt's validation metrics."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from tensorboard.backend.event_processing.event_accumulator import \
    EventAccumulator

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')

pytestmark = pytest.mark.usefixtures('one_thread')


def test_training_writes_tensorboard_events(tmp_path):
    # what a config adds to log to TensorBoard too (README, Install)
    child = tmp_path / 'tensorboard_demo.py'
    child.write_text(
        f'_base_ = [{DEMO!r}]\n'
        "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
        "dict(type='TensorboardVisBackend')])\n")
    cfg = Config.fromfile(str(child))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = 'tensorboard_demo'
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.train_dataloader.num_batch_per_epoch = 3
    cfg.val_dataloader.num_batch_per_epoch = 2
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1,
                                        save_last=False)
    Runner.from_cfg(cfg).train()

    events = glob.glob(
        osp.join(cfg.work_dir, '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(events) == 1, events
    accumulator = EventAccumulator(osp.dirname(events[0]))
    accumulator.Reload()
    scalars = accumulator.Tags()['scalars']
    assert 'loss' in scalars and 'long_tail/top1' in scalars
    losses = accumulator.Scalars('loss')
    assert [e.step for e in losses] == [1, 2, 3]
    assert all(e.value > 0 for e in losses)
