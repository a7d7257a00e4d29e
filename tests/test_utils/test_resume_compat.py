"""Resume and stage-2 ``load_from`` on a real mmengine Runner, torch>=2.6."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from model_helpers import toy_runner

import mmlt  # noqa: F401  (applies the patches)
from mmlt.utils import TRUSTED_DIRS_ENV, is_trusted_checkpoint


class _Probe(Hook):
    """Records what the runner looks like when training starts."""

    def __init__(self, ckpt):
        self.ckpt = str(ckpt)
        self.seen = {}

    def after_load_checkpoint(self, runner, checkpoint):
        # runs inside Runner.load_checkpoint, i.e. in its trust context
        self.seen['ckpt_trusted'] = is_trusted_checkpoint(self.ckpt)
        self.seen['ckpt_epoch'] = checkpoint['meta']['epoch']

    def before_train(self, runner):
        self.seen['epoch'] = runner.epoch
        self.seen['iter'] = runner.iter
        self.seen['weight'] = runner.model.fc.weight.detach().clone()
        self.seen['lr'] = runner.optim_wrapper.get_lr()['lr'][0]
        loss = runner.message_hub.log_scalars.get('train/loss')
        self.seen['loss_history'] = 0 if loss is None else len(loss.data[0])


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv(TRUSTED_DIRS_ENV, raising=False)


def _runner(work_dir, name, max_epochs, probe=None, **kwargs):
    return toy_runner(
        work_dir, name, max_epochs,
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
        param_scheduler=dict(type='MultiStepLR', milestones=[1]),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[probe] if probe else None,
        **kwargs)


@pytest.fixture
def stage1(tmp_path):
    """A finished 2-epoch run: its work_dir holds epoch_1/2.pth."""
    work_dir = tmp_path / 'stage1'
    _runner(work_dir, f'stage1_{tmp_path.name}', max_epochs=2).train()
    assert osp.isfile(work_dir / 'epoch_2.pth')
    return work_dir


def test_auto_resume_continues_from_work_dir(stage1, tmp_path):
    probe = _Probe(stage1 / 'epoch_2.pth')
    runner = _runner(stage1, f'resume_{tmp_path.name}', max_epochs=3,
                     probe=probe, resume=True)
    runner.train()
    assert probe.seen['ckpt_epoch'] == 2 and probe.seen['ckpt_trusted']
    assert probe.seen['epoch'] == 2 and probe.seen['iter'] == 4
    assert probe.seen['loss_history'] == 4  # message hub was restored
    assert runner.epoch == 3
    assert osp.isfile(stage1 / 'epoch_3.pth')
    # optimizer and scheduler state came back: lr had decayed after epoch 1
    assert probe.seen['lr'] == pytest.approx(0.01)


def test_explicit_resume_of_file_elsewhere(stage1, tmp_path):
    ckpt = str(stage1 / 'epoch_1.pth')
    probe = _Probe(ckpt)
    runner = _runner(tmp_path / 'continued', f'explicit_{tmp_path.name}',
                     max_epochs=2, probe=probe, resume=True, load_from=ckpt)
    assert not is_trusted_checkpoint(ckpt)
    runner.train()
    assert probe.seen['ckpt_trusted']  # trusted during Runner.resume only
    assert probe.seen['epoch'] == 1 and runner.epoch == 2
    assert not is_trusted_checkpoint(ckpt)


def test_stage2_load_from_other_work_dir(stage1, tmp_path):
    """``load_from`` a full mmengine checkpoint of another run is untrusted,
    and loads through the weights-only allow-list."""
    ckpt = str(stage1 / 'epoch_2.pth')
    probe = _Probe(ckpt)
    runner = _runner(tmp_path / 'stage2', f'stage2_{tmp_path.name}',
                     max_epochs=1, probe=probe, load_from=ckpt)
    runner.train()
    assert probe.seen['ckpt_trusted'] is False
    state = _load_checkpoint(ckpt, map_location='cpu')
    assert torch.equal(probe.seen['weight'], state['state_dict']['fc.weight'])
    assert probe.seen['epoch'] == 0 and runner.epoch == 1  # not resumed
    assert probe.seen['lr'] == pytest.approx(0.1)
    # the untrusted load still rebuilt mmengine's objects faithfully
    loss = state['message_hub']['log_scalars']['train/loss']
    assert type(loss) is HistoryBuffer and len(loss.data[0]) == 4
    assert loss.mean() == pytest.approx(float(loss.data[0].mean()))
    full = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert copy.deepcopy(full['meta']) == state['meta']
