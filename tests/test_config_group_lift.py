"""Every group-lift config (configs/group_lift and its routed ensemble)
trains and tests on a tiny set written by the group-lift generator, and
reports both groups' accuracies; the fine-tuning protocol's group-lift
configs (configs/finetune/) are the ResNet-20 rows' plans on the pretrained
EfficientNet-Lite0 and read that set at 80x60 in three equal channels."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.datasets.group_lift import write_group_lift_data
from test_datasets.group_lift_helpers import write_fake_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'group_lift', '*.py')))
ROUTED = osp.join(ROOT, 'configs', 'ensemble',
                  'group-routed_resnet20_1xb256_fashion-mnist-group-lift.py')
FT_STEM = 'efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60'
FINETUNE = sorted(glob.glob(osp.join(ROOT, 'configs', 'finetune',
                                     f'*_{FT_STEM}.py')))
FT_BASELINE = osp.join(ROOT, 'configs', 'baselines',
                       'efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-'
                       'ir100-80x60.py')
# 32 training images: one batch of 32, one iteration per epoch
N = 32

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    source = tmp_path_factory.mktemp('fashion_mnist')
    write_fake_fashion_mnist(source)
    out = str(tmp_path_factory.mktemp('group_lift'))
    manifest, _ = write_group_lift_data(out, 'degraded', seed=0,
                                        data_root=str(source), max_images=N)
    # both groups are in the tiny training set
    assert all(sum(manifest['counts']['train'][f'group{g}']) > 0
               for g in (0, 1))
    return out


def _loaders(cfg, root, splits):
    for split in splits:
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = root
        loader.num_workers = 0
        loader.persistent_workers = False


def test_there_are_the_planned_rows():
    names = {osp.basename(p).split('_')[0] for p in CONFIGS}
    assert names == {'ce', 'ce-group1x2', 'ce-group1x2-groupsampler',
                     'ce-group1-curriculum', 'focal-group1-strongaug',
                     'softmax-focal', 'ce-group1-strongaug',
                     'group-multitask'}


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_trains_and_tests_on_generated_data(path, tiny, tmp_path):
    cfg = Config.fromfile(path)
    _loaders(cfg, tiny, ('train', 'val', 'test'))
    cfg.train_dataloader.batch_size = N
    cfg.work_dir = str(tmp_path)
    # two epochs of one iteration (the curriculum needs its keys on
    # distinct epochs); the protocol's 5-epoch warm-up does not fit
    cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler = []
    cfg.default_hooks.long_tail_context.plot = False
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    metrics = runner.test()
    for g in (0, 1):
        assert 0 <= metrics[f'long_tail/group{g}_accuracy'] <= 100


def test_routed_ensemble_tests_on_generated_data(tiny, tmp_path):
    cfg = Config.fromfile(ROUTED)
    _loaders(cfg, tiny, ('test', ))
    for member in cfg.model.members:
        # members keep the weights they are built with (no checkpoint)
        member.config = osp.join(ROOT, member.config)
        member.checkpoint = None
    cfg.work_dir = str(tmp_path)
    metrics = Runner.from_cfg(cfg).test()
    assert {'long_tail/group0_accuracy',
            'long_tail/group1_accuracy'} <= set(metrics)


# ---------------------------------------------------- fine-tuning protocol
def test_the_finetune_rows_are_the_loss_weight_and_plans_a_b_c():
    names = {osp.basename(p).split('_')[0] for p in FINETUNE}
    assert names == {'ce', 'ce-group1x2', 'ce-group1x2-groupsampler',
                     'ce-group1-curriculum', 'focal-group1-strongaug'}


def _resnet20_row(path):
    method = osp.basename(path).split('_')[0]
    return osp.join(ROOT, 'configs', 'group_lift',
                    f'{method}_resnet20_1xb128_fashion-mnist-group-lift.py')


def _group_augment(pipeline):
    return [t for t in pipeline if t.type == 'ApplyByGroup']


@pytest.mark.parametrize('path', FINETUNE, ids=osp.basename)
def test_finetune_config_is_its_resnet20_plan_on_the_finetune_baseline(
        path):
    cfg, resnet = Config.fromfile(path), Config.fromfile(_resnet20_row(path))
    ft = Config.fromfile(FT_BASELINE)
    # the method block is the ResNet-20 row's
    for key in ('loss', 'group_weight'):
        assert cfg.model.head.get(key) == resnet.model.head.get(key), key
    assert cfg.train_dataloader.sampler == resnet.train_dataloader.sampler
    assert cfg.default_hooks.get('group_weight_curriculum') == \
        resnet.default_hooks.get('group_weight_curriculum')
    assert _group_augment(cfg.train_dataloader.dataset.pipeline) == \
        _group_augment(resnet.train_dataloader.dataset.pipeline)
    # network, schedule, normalisation and hooks are the fine-tuning
    # baseline's (the curriculum's keys are fractions of its 20 epochs)
    assert cfg.model.backbone == ft.model.backbone
    assert cfg.model.head.in_channels == 1280
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                'data_preprocessor', 'auto_scale_lr'):
        assert cfg[key] == ft[key], key
    hooks = dict(cfg.default_hooks)
    hooks.pop('group_weight_curriculum', None)
    assert hooks == ft.default_hooks
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.test_dataloader.batch_size == 128


@pytest.mark.parametrize('path', FINETUNE, ids=osp.basename)
def test_finetune_config_reads_the_data_at_80x60_in_three_channels(
        path, tiny):
    cfg = Config.fromfile(path)
    _loaders(cfg, tiny, ('train', 'test'))
    cfg.train_dataloader.batch_size = 8
    cfg.test_dataloader.batch_size = 8
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for split in ('train', 'test'):
            loader = cfg[f'{split}_dataloader']
            assert 'GreyToRGB' in [t.type for t in loader.dataset.pipeline]
            batch = next(iter(Runner.build_dataloader(loader, seed=0)))
            assert len(batch['inputs']) == 8
            for img in batch['inputs']:
                assert tuple(img.shape) == (3, 60, 80), split
                assert torch.equal(img[0], img[1])
                assert torch.equal(img[0], img[2])
            assert all('group_id' in s for s in batch['data_samples'])
