"""The fine-tuning protocol's configs (docs/benchmarks.md, --protocol
finetune): the EfficientNet-Lite0 cross-entropy baseline on Fashion-MNIST-LT
at 80x60 builds its three-channel pipeline, trains from the converted
ImageNet weights on real data, takes a smaller backbone lr through
MMEngine's paramwise_cfg, and every method config of configs/finetune/ on
that data changes only its method block."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.registry import MODELS
from mmlt.utils.checkpoint_trust import load_checkpoint_file

from data_helpers import needs_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = '1xb64_fashion-mnist-lt1k-ir100-80x60'
CE = osp.join(ROOT, 'configs', 'baselines',
              f'efficientnet-lite0_ce_{DATA}.py')
SCRATCH = osp.join(ROOT, 'configs', 'baselines',
                   f'efficientnet-lite0-scratch_ce_{DATA}.py')
METHODS = sorted(glob.glob(osp.join(ROOT, 'configs', 'finetune',
                                    f'*_{DATA}.py')))
# decoupled stage 2: its own sampler, hooks and schedule (the cRT block)
STAGE2 = ('crt_', 'lws_')

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture
def checkpoint(lite0_checkpoint) -> str:
    return lite0_checkpoint


def _merge(cfg: Config, *options: str) -> Config:
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg.merge_from_dict(
        parser.parse_args(['--cfg-options', *options]).cfg_options)
    return cfg


def test_the_pipeline_makes_80x60_images_with_three_equal_channels():
    cfg = Config.fromfile(CE)
    img = np.random.RandomState(0).randint(0, 256, (28, 28), np.uint8)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for loader in ('train_dataloader', 'test_dataloader'):
            pipeline = cfg[loader].dataset.get('pipeline') or \
                cfg[loader].dataset.dataset.pipeline
            out = Compose(pipeline)(dict(img=img.copy(), gt_label=3))
            inputs = out['inputs']
            assert tuple(inputs.shape) == (3, 60, 80), loader
            assert torch.equal(inputs[0], inputs[1])
            assert torch.equal(inputs[0], inputs[2])
    # ImageNet statistics, as the pretrained weights expect
    assert cfg.data_preprocessor.mean == [123.675, 116.28, 103.53]
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    assert Config.fromfile(SCRATCH).model.backbone.init_cfg is None


def test_a_smaller_backbone_lr_is_a_config_option():
    # MMEngine's paramwise_cfg: lr_mult on every parameter under 'backbone'
    cfg = _merge(Config.fromfile(CE),
                 'optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult=0.1')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    names = dict(zip(map(id, model.parameters()),
                     (n for n, _ in model.named_parameters())))
    lrs = {names[id(p)]: g['lr'] for g in wrapper.optimizer.param_groups
           for p in g['params']}
    assert lrs['head.fc.weight'] == pytest.approx(0.03)
    backbone = [lr for n, lr in lrs.items() if n.startswith('backbone.')]
    assert len(backbone) > 100
    assert backbone == pytest.approx([0.003] * len(backbone))
    # MMEngine: a custom key takes precedence over the norm/bias decay
    # multipliers, so the backbone's BatchNorm decays again (the config's
    # comment says so); outside the key, no decay on norms and biases
    decays = {names[id(p)]: g['weight_decay']
              for g in wrapper.optimizer.param_groups for p in g['params']}
    assert decays['head.fc.bias'] == 0 and decays['head.fc.weight'] == 1e-4
    assert decays['backbone.timm_model.bn2.weight'] == 1e-4


@pytest.mark.parametrize('path', METHODS, ids=osp.basename)
def test_method_configs_change_only_their_method_block(path):
    cfg, base = Config.fromfile(path).to_dict(), Config.fromfile(CE).to_dict()
    assert cfg['model']['backbone'] == base['model']['backbone']
    assert cfg['model']['head']['in_channels'] == 1280
    for c in (cfg, base):
        c['data_preprocessor'].pop('batch_augments', None)
    assert cfg['data_preprocessor'] == base['data_preprocessor']
    for key in ('val_dataloader', 'test_dataloader', 'optim_wrapper'):
        assert cfg[key] == base[key], key
    train, base_train = cfg['train_dataloader'], base['train_dataloader']
    assert train['dataset'] == base_train['dataset']
    assert cfg['default_hooks']['channels_last'] == dict(
        type='ChannelsLastHook')
    if osp.basename(path).startswith(STAGE2):
        assert cfg['load_from'].endswith(
            f'efficientnet-lite0_ce_{DATA}/epoch_20.pth')
        assert cfg['default_hooks']['classifier_retrain']
    else:
        assert cfg['param_scheduler'] == base['param_scheduler']
        assert cfg['train_cfg'] == base['train_cfg']


@needs_fashion_mnist
def test_the_baseline_trains_from_the_weights_on_fashion_mnist_lt(
        checkpoint, tmp_path):
    cfg = Config.fromfile(CE)
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    # a small long-tailed draw of the real data: 8 ... 2 images a class
    for loader in ('train_dataloader', 'val_dataloader'):
        ds = cfg[loader].dataset
        ds.max_count, ds.imbalance_ratio = 8, 4
        cfg[loader].num_workers = 0
    cfg.val_dataloader.dataset.held_out_per_class = 2
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = 2
    cfg.default_hooks.long_tail_context.plot = False
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2,
                                        save_last=False)
    runner = Runner.from_cfg(cfg)
    saved = load_checkpoint_file(checkpoint, 'cpu',
                                 trusted=False)['state_dict']
    runner.train()
    model = runner.model
    counts = model.head.class_counts.tolist()
    assert counts[0] == 8 and counts[-1] == 2 and len(counts) == 10
    stem = model.state_dict()['backbone.timm_model.conv_stem.weight']
    # channels-last (ChannelsLastHook) and trained from the loaded weights
    assert stem.is_contiguous(memory_format=torch.channels_last)
    before = saved['backbone.timm_model.conv_stem.weight']
    assert not torch.equal(stem, before)
    assert (stem - before).abs().max() < 0.2 * before.abs().max()
    metrics = runner.message_hub.get_scalar(
        'val/long_tail/balanced_accuracy').current()
    assert 0 <= metrics <= 100
