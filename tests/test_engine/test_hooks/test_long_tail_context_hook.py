import copy
import logging
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.datasets import DigitsLT
from mmlt.registry import HOOKS, METRICS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')


class _Loader:

    def __init__(self, dataset):
        self.dataset = dataset


class _Logger(logging.Logger):

    def __init__(self):
        super().__init__('test')
        self.warnings = []

    def warning(self, msg, *args, **kwargs):
        self.warnings.append(msg)


def fake_runner(dataset, num_classes, tmp_path):
    model = MODELS.build(
        dict(
            type='LTLinearClsHead',
            num_classes=num_classes,
            in_channels=4,
            loss=dict(type='CrossEntropyLoss')))
    return SimpleNamespace(
        train_dataloader=_Loader(dataset),
        model=SimpleNamespace(head=model),
        logger=_Logger(),
        work_dir=str(tmp_path))


@pytest.fixture(scope='module')
def digits_train():
    return DigitsLT(split='train', test_per_class=40)


def test_counts_reach_head_and_plot(digits_train, tmp_path):
    runner = fake_runner(digits_train, 10, tmp_path)
    HOOKS.build(dict(type='LongTailContextHook')).before_train(runner)
    np.testing.assert_array_equal(runner.model.head.class_counts.numpy(),
                                  digits_train.class_counts)
    assert osp.getsize(tmp_path / 'class_distribution.png') > 0
    assert not runner.logger.warnings


def test_num_classes_mismatch_is_an_error(digits_train, tmp_path):
    runner = fake_runner(digits_train, 9, tmp_path)
    with pytest.raises(ValueError, match=r'num_classes=9 but the training '
                       r'dataset has 10 classes'):
        HOOKS.build(dict(type='LongTailContextHook',
                         plot=False)).before_train(runner)


def test_zero_count_class_is_named_in_a_warning(tmp_path):
    import cv2
    for name in ('a', 'b'):
        cv2.imwrite(str(tmp_path / f'{name}.png'),
                    np.zeros((4, 4, 3), np.uint8))
    ann = tmp_path / 'ann.csv'
    ann.write_text('filename,label\na.png,cat\nb.png,cat\n')
    from mmlt.registry import DATASETS
    dataset = DATASETS.build(
        dict(
            type='GroupAnnotationDataset',
            ann_file=str(ann),
            data_prefix=str(tmp_path),
            classes=['cat', 'dog', 'emu']))
    runner = fake_runner(dataset, 3, tmp_path)
    HOOKS.build(dict(type='LongTailContextHook',
                     plot=False)).before_train(runner)
    assert len(runner.logger.warnings) == 1
    assert '1 (dog), 2 (emu)' in runner.logger.warnings[0]
    assert runner.model.head.class_counts.tolist() == [2, 0, 0]


def tiny_cfg(tmp_path, **train_cfg):
    cfg = Config.fromfile(DEMO)
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.update(dict(max_epochs=2, val_interval=1), **train_cfg)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.train_dataloader.num_batch_per_epoch = 3
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    cfg.experiment_name = f'test_{tmp_path.name}'
    return cfg


def test_real_runner_trains_and_validates_on_digits(tmp_path):
    cfg = tiny_cfg(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    head = runner.model.head
    # the Runner's sliced dataset (num_batch_per_epoch) is what was trained
    expected = np.bincount(
        DigitsLT(split='train', test_per_class=40).get_gt_labels()[:96],
        minlength=10)
    np.testing.assert_array_equal(head.class_counts.numpy(), expected)
    metrics = runner.val_loop.run()
    for key in ('top1', 'balanced_accuracy', 'many_shot', 'medium_shot',
                'few_shot', 'macro_f1', 'worst_class_accuracy',
                'group0_accuracy', 'group1_accuracy'):
        assert f'long_tail/{key}' in metrics, key
    assert 0 <= metrics['long_tail/top1'] <= 100
    assert metrics['long_tail/num_many'] == 0  # counts of the 96 images
    ckpt = torch.load(tmp_path / 'epoch_2.pth', weights_only=False)
    assert ckpt['state_dict']['head.class_counts'].tolist() == \
        expected.tolist()
    assert ckpt['meta']['epoch'] == 2
    assert osp.exists(tmp_path / 'class_distribution.png')


def test_resume_continues_at_the_next_epoch(tmp_path):
    Runner.from_cfg(tiny_cfg(tmp_path)).train()
    before = torch.load(tmp_path / 'epoch_2.pth', weights_only=False)
    cfg = tiny_cfg(tmp_path, max_epochs=3)
    cfg.resume = True
    cfg.experiment_name = f'resumed_{tmp_path.name}'
    runner = Runner.from_cfg(cfg)
    epochs_run = []
    runner.register_hook(
        _EpochRecorder(epochs_run), priority='LOWEST')
    runner.train()
    assert epochs_run == [2]  # only the third epoch (0-based 2) ran
    assert runner.epoch == 3
    assert runner.iter == before['meta']['iter'] + 3
    after = torch.load(tmp_path / 'epoch_3.pth', weights_only=False)
    assert after['meta']['epoch'] == 3
    assert not torch.equal(after['state_dict']['head.fc.weight'],
                           before['state_dict']['head.fc.weight'])


class _EpochRecorder(Hook):

    def __init__(self, epochs):
        self.epochs = epochs

    def before_train_epoch(self, runner):
        self.epochs.append(runner.epoch)


def test_metric_gets_counts_from_the_checkpointed_head(tmp_path):
    metric = METRICS.build(dict(type='LongTailMetric', print_report=False))
    head = MODELS.build(
        dict(
            type='LTLinearClsHead',
            num_classes=10,
            in_channels=4,
            loss=dict(type='CrossEntropyLoss')))
    head.set_class_counts(np.arange(1, 11))
    runner = SimpleNamespace(
        model=SimpleNamespace(head=head),
        test_evaluator=SimpleNamespace(metrics=[metric]),
        test_dataloader=_Loader(DigitsLT(split='test', test_per_class=40)),
        work_dir=str(tmp_path))
    HOOKS.build(dict(type='LongTailContextHook')).before_test(runner)
    np.testing.assert_array_equal(metric.class_counts, np.arange(1, 11))
    assert metric.out_dir == str(tmp_path)
    head9 = copy.deepcopy(head)
    head9.num_classes = 9
    runner.model = SimpleNamespace(head=head9)
    with pytest.raises(ValueError, match='the test dataset has 10 classes'):
        HOOKS.build(dict(type='LongTailContextHook')).before_test(runner)


def test_count_datasets_counts_only_the_named_members(digits_train, tmp_path):
    from mmengine.dataset import ConcatDataset
    extra = DigitsLT(split='train', test_per_class=40, imbalance_ratio=1)
    both = ConcatDataset([digits_train, extra])
    counts0 = np.bincount(
        [digits_train.get_cat_ids(i)[0] for i in range(len(digits_train))],
        minlength=10)
    runner = fake_runner(both, 10, tmp_path)
    HOOKS.build(dict(type='LongTailContextHook', count_datasets=[0],
                     plot=False)).before_train(runner)
    np.testing.assert_array_equal(runner.model.head.class_counts.numpy(),
                                  counts0)
    runner = fake_runner(both, 10, tmp_path)
    HOOKS.build(dict(type='LongTailContextHook',
                     plot=False)).before_train(runner)
    assert runner.model.head.class_counts.sum() == len(both) > counts0.sum()
    with pytest.raises(ValueError, match=r'out of range'):
        HOOKS.build(dict(type='LongTailContextHook', count_datasets=[2],
                         plot=False)).before_train(fake_runner(
                             both, 10, tmp_path))
    with pytest.raises(ValueError, match='needs a ConcatDataset'):
        HOOKS.build(dict(type='LongTailContextHook', count_datasets=[0],
                         plot=False)).before_train(fake_runner(
                             digits_train, 10, tmp_path))
    with pytest.raises(ValueError, match='count_datasets=0'):
        HOOKS.build(dict(type='LongTailContextHook', count_datasets=0))
