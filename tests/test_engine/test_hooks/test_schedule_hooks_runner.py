"""The schedule hooks on a real Runner: the switch epoch and a resume.

Each scenario trains epochs 0 and 1, "crashes" when epoch 2 starts (after
the epoch-2 checkpoint), resumes from it and runs epoch 2. A recorder hook
(lowest priority, so after the schedule hooks) notes at every epoch what
the loss, head and data preprocessor look like.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.models.losses import effective_number_weights
from model_helpers import tiny_convnext

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')


pytestmark = pytest.mark.usefixtures('one_thread')


class _Crash(Exception):
    pass


class _Recorder(Hook):
    """Records the training state of every epoch; raises at ``crash_at``."""

    priority = 'LOWEST'

    def __init__(self, crash_at=None):
        self.crash_at = crash_at
        self.seen = {}

    def before_train_epoch(self, runner):
        if runner.epoch == self.crash_at:
            raise _Crash
        model = runner.model
        head = model.head
        loss = head.loss_module
        self.seen[runner.epoch] = dict(
            class_weight=getattr(loss, 'class_weight', None),
            use_ib=getattr(loss, 'use_ib', None),
            group_weight=dict(head.group_weight or {}),
            augments=model.data_preprocessor.batch_augments is not None,
            counts=head.class_counts.clone())


class _LossAtStart(Hook):
    """Notes, before any other hook, what the loss knows when training
    starts: after a resume, what loading the checkpoint gave it."""

    priority = 'HIGHEST'

    def __init__(self):
        self.num_count_classes = self.weight = None

    def before_train(self, runner):
        loss = runner.model.head.loss_module
        self.num_count_classes = loss.num_count_classes
        self.weight = getattr(loss, 'ib_weight', None)


def _cfg(tmp_path, loss, hooks, batch_augments=None):
    cfg = Config.fromfile(DEMO)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'hooks_{tmp_path.name}'
    # a two-stage ConvNeXt (8 and 16 channels): the hooks, not the model,
    # are under test
    cfg.model.backbone = tiny_convnext()
    cfg.model.head.in_channels = 16
    cfg.model.head.loss = loss
    if batch_augments is not None:
        cfg.model.data_preprocessor = dict(
            type='ClsDataPreprocessor',
            num_classes=10,
            mean=cfg.data_preprocessor.mean,
            std=cfg.data_preprocessor.std,
            batch_augments=batch_augments)
    cfg.default_hooks.long_tail_context.plot = False
    cfg.custom_hooks = hooks
    cfg.train_cfg = dict(by_epoch=True, max_epochs=3)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.train_dataloader.num_batch_per_epoch = 1
    # the first 64 training images hold every class (DRW needs counts > 0)
    cfg.train_dataloader.batch_size = 64
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=-1)
    return cfg


def _train_crash_resume(tmp_path, at_start=None, **kwargs):
    """Epochs 0-1, crash at 2, resume: (records before, records after).
    ``at_start`` gets a :class:`_LossAtStart` of each run."""
    first = _Recorder(crash_at=2)
    runner = Runner.from_cfg(_cfg(tmp_path, **kwargs))
    runner.register_hook(first)
    if at_start is not None:
        at_start.append(_LossAtStart())
        runner.register_hook(at_start[-1])
    with pytest.raises(_Crash):
        runner.train()
    assert osp.exists(tmp_path / 'epoch_2.pth')
    cfg = _cfg(tmp_path, **kwargs)
    cfg.resume = True
    cfg.experiment_name = f'resumed_{tmp_path.name}'
    resumed = Runner.from_cfg(cfg)
    second = _Recorder()
    resumed.register_hook(second)
    if at_start is not None:
        at_start.append(_LossAtStart())
        resumed.register_hook(at_start[-1])
    resumed.train()
    assert resumed.epoch == 3
    return first.seen, second.seen


def test_drw_curriculum_and_batch_augment_off(tmp_path):
    first, second = _train_crash_resume(
        tmp_path,
        loss=dict(type='CrossEntropyLoss', use_soft=True),
        hooks=[
            dict(type='DeferredReweightingHook', start_epoch=1),
            dict(
                type='GroupWeightCurriculumHook',
                schedule={
                    0: 1.0,
                    1: 1.5,
                    2: 2.0
                }),
            dict(type='BatchAugmentOffHook', num_last_epochs=2),
        ],
        batch_augments=dict(augments=[dict(type='Mixup', alpha=0.2)]))
    assert sorted(first) == [0, 1] and sorted(second) == [2]
    counts = first[0]['counts']
    cb = effective_number_weights(counts, 0.9999).float().tolist()
    # DRW: off at epoch 0, on from the switch epoch 1, still on after resume
    assert first[0]['class_weight'] is None
    assert first[1]['class_weight'] == pytest.approx(cb)
    assert second[2]['class_weight'] == pytest.approx(cb)
    # curriculum: the scheduled weight of group 1 at each epoch
    assert [first[0]['group_weight'], first[1]['group_weight'],
            second[2]['group_weight']] == [{1: 1.0}, {1: 1.5}, {1: 2.0}]
    # mixup off for the last 2 of 3 epochs: on at 0, off at 1 and 2
    assert [first[0]['augments'], first[1]['augments'],
            second[2]['augments']] == [True, False, False]


def test_ib_warm_start(tmp_path):
    at_start = []
    first, second = _train_crash_resume(
        tmp_path,
        at_start=at_start,
        loss=dict(type='InfluenceBalancedLoss'),
        hooks=[dict(type='IBWarmStartHook', start_epoch=1)])
    assert [first[0]['use_ib'], first[1]['use_ib'],
            second[2]['use_ib']] == [False, True, True]
    # a fresh run's loss has no counts before LongTailContextHook; the
    # resumed one has its buffers from the checkpoint's head counts
    fresh, resumed = at_start
    assert fresh.num_count_classes is None
    assert resumed.num_count_classes == 10
    from mmlt.models.losses import inverse_power_weights
    torch.testing.assert_close(
        resumed.weight, inverse_power_weights(second[2]['counts'], 1.0))
    ckpt = torch.load(tmp_path / 'epoch_3.pth', weights_only=False)
    assert all(
        torch.isfinite(v).all() for v in ckpt['state_dict'].values()
        if v.is_floating_point())
