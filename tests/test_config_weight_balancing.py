"""Weight balancing's two configs chained on a tiny stand-in for
Fashion-MNIST: stage 1 (cross-entropy, the larger weight decay) trains two
iterations and saves a checkpoint; stage 2 loads it and trains the stage-1
classifier alone with the class-balanced loss, weight decay 0.1 and the
MaxNorm cap set from the stage-1 norms."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.engine.hooks import MaxNormHook, max_norm_threshold
from mmlt.models.losses import ClassBalancedLoss
from two_stage_helpers import tiny_config as _tiny

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CE = osp.join(ROOT, 'configs', 'baselines',
              'resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py')
STAGE1 = osp.join(ROOT, 'configs', 'weight_balancing',
                  'wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100.py')
STAGE2 = osp.join(ROOT, 'configs', 'weight_balancing',
                  'wb_resnet20_1xb128_fashion-mnist-lt1k-ir100.py')

pytestmark = pytest.mark.usefixtures('one_thread')


def test_stage1_is_cross_entropy_with_the_larger_weight_decay():
    ce, stage1 = Config.fromfile(CE), Config.fromfile(STAGE1)
    assert stage1.optim_wrapper.optimizer.weight_decay == 5e-4
    assert ce.optim_wrapper.optimizer.weight_decay == 2e-4
    # nothing else differs
    stage1.optim_wrapper.optimizer.weight_decay = 2e-4
    assert stage1.to_dict() == ce.to_dict()


def test_stage2_config_chains_to_stage1():
    cfg = Config.fromfile(STAGE2)
    assert cfg.load_from == ('work_dirs/' + osp.basename(STAGE1)[:-3] +
                             '/epoch_60.pth')
    # instance sampling: the loss re-weights the classes
    assert cfg.train_dataloader.sampler == dict(type='DefaultSampler',
                                                shuffle=True)
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=0.1)
    assert cfg.train_cfg.max_epochs == 10
    assert cfg.default_hooks.max_norm == dict(type='MaxNormHook',
                                              thresh=0.1)


def test_weight_balancing_stage2_trains_under_the_cap(
        tiny_fashion_mnist_root, tmp_path):
    cfg = _tiny(STAGE1, tiny_fashion_mnist_root, tmp_path / 'stage1')
    cfg.param_scheduler = []  # the 5-epoch warm-up does not fit one epoch
    Runner.from_cfg(cfg).train()
    path = str(tmp_path / 'stage1' / 'epoch_1.pth')
    start = torch.load(path, map_location='cpu',
                       weights_only=False)['state_dict']

    cfg = _tiny(STAGE2, tiny_fashion_mnist_root, tmp_path / 'stage2')
    cfg.load_from = path
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    model = runner.model
    assert isinstance(model.head.loss_module, ClassBalancedLoss)
    assert {n for n, p in model.named_parameters() if p.requires_grad} == \
        {'head.fc.weight', 'head.fc.bias'}
    end = model.state_dict()
    for key in start:
        if key.startswith('backbone.') and 'running_' not in key \
                and 'num_batches' not in key:
            assert torch.equal(end[key], start[key]), key
    # the stage-1 classifier went on training (not re-initialised), inside
    # the radius its own norms set
    hook = next(h for h in runner.hooks if isinstance(h, MaxNormHook))
    assert hook.radius == pytest.approx(
        max_norm_threshold(start['head.fc.weight'], 0.1))
    assert not torch.equal(end['head.fc.weight'], start['head.fc.weight'])
    norms = end['head.fc.weight'].norm(dim=1)
    assert norms.max() <= hook.radius * (1 + 1e-5)
    assert start['head.fc.weight'].norm(dim=1).max() > hook.radius
