"""MiSLAS's two configs chained on a tiny stand-in for Fashion-MNIST: the
mixup stage 1 trains two iterations and saves a checkpoint, the MiSLAS
stage 2 loads it and trains two iterations with label-aware smoothing, the
stage-1 classifier and LWS scales, and shifted BatchNorm statistics."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

import mmlt  # noqa: F401
from mmlt.models.losses import LabelAwareSmoothingLoss, label_aware_smoothing
from two_stage_helpers import tiny_config as _tiny

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE1 = osp.join(ROOT, 'configs', 'cam_sampling',
                  'bot-combo-stage1-mixup_resnet20_1xb128_'
                  'fashion-mnist-lt1k-ir100.py')
STAGE2 = osp.join(ROOT, 'configs', 'mislas',
                  'mislas_resnet20_1xb128_fashion-mnist-lt1k-ir100.py')

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def stage1(tiny_fashion_mnist_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('stage1')
    cfg = _tiny(STAGE1, tiny_fashion_mnist_root, work_dir)
    cfg.param_scheduler = []  # the 5-epoch warm-up does not fit one epoch
    assert cfg.data_preprocessor.batch_augments.augments == [
        dict(type='Mixup', alpha=1.0)]
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    path = osp.join(str(work_dir), 'epoch_1.pth')
    state = torch.load(path, map_location='cpu',
                       weights_only=False)['state_dict']
    return path, state


def test_stage2_config_chains_to_the_mixup_stage1():
    cfg = Config.fromfile(STAGE2)
    assert cfg.load_from == ('work_dirs/' + osp.basename(STAGE1)[:-3] +
                             '/epoch_60.pth')
    # the paper's stage 2 does not mix
    assert 'batch_augments' not in cfg.data_preprocessor
    assert cfg.train_dataloader.sampler == dict(
        type='RebalancedSampler', strategy='class_balanced')


def test_mislas_stage2_trains_two_iterations(stage1, tiny_fashion_mnist_root,
                                             tmp_path):
    path, ckpt = stage1
    cfg = _tiny(STAGE2, tiny_fashion_mnist_root, tmp_path)
    cfg.load_from = path
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    model = runner.model
    loss = model.head.loss_module
    assert isinstance(loss, LabelAwareSmoothingLoss)
    counts = model.head.class_counts
    assert counts.max() == 40 and counts.min() == 4
    torch.testing.assert_close(
        loss.smoothing, label_aware_smoothing(counts, 0.3, 0.0, 'concave'))
    end = model.state_dict()
    bns = {n for n, m in model.named_modules()
           if isinstance(m, nn.BatchNorm2d)}
    stats = [k for k in ckpt if k.rsplit('.', 1)[0] in bns
             and k.endswith('running_mean')]
    frozen = [k for k in ckpt if k.startswith('backbone.')
              and 'running_' not in k and 'num_batches' not in k]
    assert stats and any('conv' in k for k in frozen)
    # shift learning: BN statistics moved; convolutions, γ and β did not
    assert all(not torch.equal(end[k], ckpt[k]) for k in stats)
    for key in frozen:
        assert torch.equal(end[key], ckpt[key]), key
    # the stage-1 classifier went on training, the LWS scales too
    assert not torch.equal(end['head.fc.weight'], ckpt['head.fc.weight'])
    assert not torch.equal(end['head.lws_scale'], torch.ones(10))
    assert {n for n, p in model.named_parameters() if p.requires_grad} == \
        {'head.fc.weight', 'head.fc.bias', 'head.lws_scale'}


def test_mislas_is_a_row_of_lt_combinations_after_its_stage1():
    from benchmarks.lt_protocol import ROWS
    rows = {r.name: r for r in ROWS['lt-combinations']()}
    assert osp.join(ROOT, rows['mislas'].path) == STAGE2
    assert rows['mislas'].after == 'mixup'
    assert osp.join(ROOT, rows['mixup'].path) == STAGE1
    # the stage-1 row is the lt-bag-of-tricks one, so both share its runs
    bot = {r.name: r for r in ROWS['lt-bag-of-tricks']()}
    assert bot['mixup'].path == rows['mixup'].path
