"""SWAHook: the averaging epochs, the SWA lr against torch's SWALR, the
BatchNorm recompute against torch's update_bn, and a real Runner on the
digits (averaged weights, lr phase, recomputed statistics in the checkpoint,
exact resume). The 2-process (gloo) run is in
tests/test_engine/test_optim/test_sam_swa_distributed.py."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.optim.swa_utils import SWALR, update_bn

import mmlt  # noqa: F401
from mmlt.engine.hooks import (recompute_bn_statistics, swa_anneal_factor,
                               swa_updates_after)
from mmlt.registry import HOOKS

pytestmark = pytest.mark.usefixtures('one_thread')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def test_averaged_epochs():
    assert [e for e in range(30) if swa_updates_after(e, 20, 2)] == \
        [20, 22, 24, 26, 28]
    assert [e for e in range(4) if swa_updates_after(e, 0, 1)] == [0, 1, 2,
                                                                   3]


@pytest.mark.parametrize('strategy', ['cos', 'linear'])
@pytest.mark.parametrize('anneal_epochs', [0, 1, 3])
def test_lr_phase_follows_torch_swalr(strategy, anneal_epochs):
    lr0, swa_lr, start = 0.1, 0.01, 4
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr0)
    sched = SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs,
                  anneal_strategy=strategy)
    assert swa_anneal_factor(start - 1, start, anneal_epochs, strategy) == 0
    for k in range(1, 6):
        opt.step()
        sched.step()  # SWALR stepped once per epoch: epoch start + k - 1
        a = swa_anneal_factor(start + k - 1, start, anneal_epochs, strategy)
        assert swa_lr * a + lr0 * (1 - a) == pytest.approx(
            opt.param_groups[0]['lr'])


class BNNet(BaseModel):

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.frozen = nn.BatchNorm2d(4)
        self.head = nn.Linear(4, 2)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = self.frozen(self.bn(self.conv(inputs)))
        return self.head(x.mean((2, 3)))

    def train(self, mode=True):
        super().train(mode)
        self.frozen.eval()  # as a backbone's norm_eval
        return self


def test_bn_recompute_equals_torch_update_bn():
    g = torch.Generator().manual_seed(0)
    batches = [torch.randn(n, 3, 6, 6, generator=g) * 3 + 1
               for n in (5, 5, 3)]
    model = BNNet()
    model.frozen.running_mean.fill_(0.5)
    ref = copy.deepcopy(model)
    model.eval()
    assert recompute_bn_statistics(
        model, [dict(inputs=b) for b in batches]) == 1
    assert not model.training and model.bn.momentum == 0.1
    update_bn(batches, ref)
    torch.testing.assert_close(model.bn.running_mean, ref.bn.running_mean)
    torch.testing.assert_close(model.bn.running_var, ref.bn.running_var)
    assert int(model.bn.num_batches_tracked) == 3
    # a BatchNorm the model keeps in eval mode keeps its statistics
    assert float(model.frozen.running_mean[0]) == 0.5


def test_bad_arguments():
    for kwargs, match in ((dict(interval=0), 'interval=0'),
                          (dict(swa_start=1.5), 'swa_start=1.5'),
                          (dict(swa_lr=-1), 'swa_lr=-1'),
                          (dict(anneal_epochs=-1), 'anneal_epochs=-1'),
                          (dict(anneal_strategy='step'), "'step'")):
        with pytest.raises(ValueError, match=match):
            HOOKS.build(dict(type='SWAHook', **kwargs))


# ---------------------------------------------------------------------------
# a real Runner: ResNet (BatchNorm) on 64 digits, 2 iterations per epoch


class RawWeightsProbe(Hook):
    """Keeps the trained (not averaged) weights after every epoch."""
    priority = 'VERY_HIGH'

    def __init__(self):
        self.weights = []

    def after_train_epoch(self, runner):
        self.weights.append(
            {k: v.detach().clone()
             for k, v in runner.model.named_parameters()})


def swa_cfg(work_dir, **swa):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'lt',
                                   'convnext_focal.py'))
    resnet = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'models', 'resnet32_cifar_lt.py'))
    cfg.model = resnet.model
    cfg.model.backbone.depth = 8
    cfg.train_dataloader.dataset.indices = 64
    cfg.train_dataloader.sampler.shuffle = False
    cfg.val_dataloader.dataset.indices = 32
    cfg.val_dataloader.batch_size = 32
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator = cfg.test_evaluator = dict(
        type='LongTailMetric', topk=1, print_report=False)
    cfg.optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1,
                                            momentum=0.9))
    cfg.param_scheduler = []
    cfg.train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=10)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.long_tail_context.plot = False
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.swa = dict(type='SWAHook', **swa)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'swa_{osp.basename(work_dir)}'
    return cfg


SWA = dict(swa_start=1, interval=1, swa_lr=0.001, anneal_epochs=2)


@pytest.fixture(scope='module')
def swa_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('swa')
    runner = Runner.from_cfg(swa_cfg(work_dir, **SWA))
    probe = RawWeightsProbe()
    runner.register_hook(probe)
    runner.train()
    return runner, probe, work_dir


def test_runner_averages_anneals_and_recomputes_bn(swa_run):
    runner, probe, work_dir = swa_run
    ckpt = torch.load(osp.join(work_dir, 'epoch_3.pth'), weights_only=False)
    state = ckpt['state_dict']
    # the checkpoint's model is the average of epochs 1 and 2 (0-based)
    for name, _ in runner.model.named_parameters():
        expected = (probe.weights[1][name] + probe.weights[2][name]) / 2
        torch.testing.assert_close(state[name], expected)
    # ... and the trained weights are kept for a resume
    swa_state = ckpt['swa_state_dict']
    assert int(swa_state['steps']) == 2
    for name, p in runner.model.named_parameters():
        torch.testing.assert_close(swa_state['module.' + name], p.detach())
    # lr per iteration (2 per epoch): 0.1, then cos-annealed halfway
    # (a = 0.5) in epoch 1, then swa_lr
    lrs = runner.message_hub.get_scalar('train/lr').data[0].tolist()
    assert lrs == pytest.approx([0.1, 0.1, 0.0505, 0.0505, 0.001, 0.001])
    # BatchNorm statistics: recomputed for the averaged weights, not the
    # trained model's
    bn = 'backbone.bn1.running_mean'
    assert not torch.allclose(state[bn], runner.model.state_dict()[bn])
    averaged = copy.deepcopy(runner.model)
    averaged.load_state_dict(state)
    before = {k: v.clone() for k, v in averaged.state_dict().items()}
    recompute_bn_statistics(averaged, runner.train_dataloader)
    for key in (bn, 'backbone.bn1.running_var',
                'backbone.layer3.0.bn2.running_var'):
        torch.testing.assert_close(state[key], before[key])
        torch.testing.assert_close(averaged.state_dict()[key], before[key])
    # test runs with the averaged model and gives the trained model back
    raw = {k: v.clone() for k, v in runner.model.state_dict().items()}
    metrics = runner.test()
    assert 'long_tail/worst_class_f1' in metrics
    for k, v in runner.model.state_dict().items():
        assert torch.equal(v, raw[k]), k


def test_resume_continues_exactly(swa_run, tmp_path):
    _, _, work_dir = swa_run
    cfg = swa_cfg(tmp_path, **SWA)
    cfg.resume = True
    cfg.load_from = osp.join(work_dir, 'epoch_2.pth')
    runner = Runner.from_cfg(cfg)
    runner.train()
    full = torch.load(osp.join(work_dir, 'epoch_3.pth'), weights_only=False)
    resumed = torch.load(osp.join(tmp_path, 'epoch_3.pth'),
                         weights_only=False)
    assert int(resumed['swa_state_dict']['steps']) == 2
    assert resumed['swa_start_lrs'] == full['swa_start_lrs'] == [0.1]
    for part in ('state_dict', 'swa_state_dict'):
        for key, value in full[part].items():
            torch.testing.assert_close(resumed[part][key], value,
                                       msg=f'{part}/{key}')
