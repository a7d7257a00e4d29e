"""LongTailMetric(log_per_class=True) on a real Runner: each class's recall
and F1 reach MMEngine's text log, the local scalars file and TensorBoard's
event file (the README's TensorBoard example)."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from tensorboard.backend.event_processing.event_accumulator import \
    EventAccumulator

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')

pytestmark = pytest.mark.usefixtures('one_thread')


def test_per_class_scalars_reach_log_and_tensorboard(tmp_path):
    child = tmp_path / 'per_class_tensorboard.py'
    child.write_text(
        f'_base_ = [{DEMO!r}]\n'
        "visualizer = dict(type='UniversalVisualizer', vis_backends=["
        "dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])\n"
        'val_evaluator = dict(log_per_class=True, print_report=False)\n')
    cfg = Config.fromfile(str(child))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.val_dataloader.num_batch_per_epoch = 2
    Runner.from_cfg(cfg).val()  # validation of the untrained model

    events = glob.glob(
        osp.join(cfg.work_dir, '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(events) == 1, events
    vis_data = osp.dirname(events[0])
    accumulator = EventAccumulator(vis_data)
    accumulator.Reload()
    tags = set(accumulator.Tags()['scalars'])
    per_class = {f'long_tail/{kind}/{c}' for kind in ('recall', 'f1')
                 for c in range(10)}
    assert per_class <= tags
    assert 'long_tail/group1_accuracy' in tags
    assert 'long_tail/num_not_validated' in tags
    value = accumulator.Scalars('long_tail/recall/3')[0].value
    assert value != value or 0 <= value <= 100  # nan if not validated

    with open(osp.join(vis_data, 'scalars.json')) as f:
        logged = json.loads(f.readline())
    assert per_class <= logged.keys()
    run_dir = osp.dirname(vis_data)
    with open(osp.join(run_dir, osp.basename(run_dir) + '.log')) as f:
        text = f.read()
    assert 'long_tail/recall/9: ' in text and 'long_tail/f1/0: ' in text
