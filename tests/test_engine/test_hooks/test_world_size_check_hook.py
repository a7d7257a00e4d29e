"""WorldSizeCheckHook: a resume on another world size is named in a WARNING.

The message as a pure function, the hook's two methods on a stand-in
runner, then a real Runner that saves (the world size lands in each
checkpoint's meta) and resumes a checkpoint whose meta says another world
size, the same one, or none.
"""
import logging
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from model_helpers import LogRecords, toy_runner, train_logged

import mmlt  # noqa: F401
from mmlt.engine.hooks import WorldSizeCheckHook, world_size_change
from mmlt.registry import HOOKS
from mmlt.utils import load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

pytestmark = pytest.mark.usefixtures('one_thread')


def test_world_size_change_message():
    checkpoint = {'meta': {'epoch': 2, 'iter': 40, 'world_size': 2}}
    message = world_size_change(checkpoint, 1)
    assert message.startswith(
        'resuming a checkpoint (epoch 2, iteration 40) saved by a run on 2 '
        'processes (world size 2) with 1 process (world size 1): ')
    assert ('the sample order, and so the weights, will differ from an '
            'uninterrupted run') in message
    assert world_size_change(checkpoint, 2) is None
    # checkpoints without a recorded world size (earlier runs): no word
    assert world_size_change({'meta': {'epoch': 2}}, 1) is None
    assert world_size_change({'state_dict': {}}, 1) is None
    assert world_size_change({'meta': None}, 1) is None


def _runner_stub(resume, world_size=1):
    logger = logging.getLogger(f'world_size_stub_{resume}_{world_size}')
    records = LogRecords()
    logger.addHandler(records)
    return SimpleNamespace(_resume=resume, world_size=world_size,
                           logger=logger), records


def test_hook_records_and_checks_the_world_size():
    hook = WorldSizeCheckHook()
    runner, records = _runner_stub(resume=True, world_size=4)
    checkpoint = {'meta': {'epoch': 1}}
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['meta'] == {'epoch': 1, 'world_size': 4}
    hook.after_load_checkpoint(runner, checkpoint)  # same: silent
    assert records.records == []
    resumed, records = _runner_stub(resume=True, world_size=1)
    hook.after_load_checkpoint(resumed, checkpoint)
    [warning] = records.at(logging.WARNING)
    assert 'world size 4' in warning and 'world size 1' in warning
    # a load_from (fine-tuning, testing) starts a new schedule: unchecked
    loaded, records = _runner_stub(resume=False, world_size=1)
    hook.after_load_checkpoint(loaded, checkpoint)
    assert records.records == []


def test_registered_in_the_default_runtime():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.default_hooks.world_size_check == dict(
        type='WorldSizeCheckHook')
    # built as the Runner builds it: in the config's default scope
    hook = HOOKS.build(
        dict(cfg.default_hooks.world_size_check, _scope_=cfg.default_scope))
    assert isinstance(hook, WorldSizeCheckHook)


# ---------------------------------------------------------------------------
# a real Runner


def _runner(work_dir, name, max_epochs, **kwargs):
    return toy_runner(work_dir, name, max_epochs, default_hooks=dict(
        world_size_check=WorldSizeCheckHook()), **kwargs)


@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    """A finished 1-epoch run; returns its ``epoch_1.pth``."""
    work_dir = tmp_path_factory.mktemp('world_size') / 'run'
    _runner(work_dir, f'world_size_{work_dir.parent.name}', 1).train()
    return str(work_dir / 'epoch_1.pth')


def test_checkpoint_meta_records_the_world_size(saved):
    meta = load_checkpoint_file(saved, 'cpu', trusted=True)['meta']
    assert meta['world_size'] == 1


@pytest.mark.parametrize('recorded', [2, 1, None])
def test_resume_warns_on_another_world_size(saved, tmp_path, recorded):
    checkpoint = load_checkpoint_file(saved, 'cpu', trusted=True)
    if recorded is None:
        del checkpoint['meta']['world_size']  # a checkpoint of an older run
    else:
        checkpoint['meta']['world_size'] = recorded
    resumed = str(tmp_path / 'epoch_1.pth')
    torch.save(checkpoint, resumed)
    runner = _runner(tmp_path, f'resume_{tmp_path.name}', 2,
                     resume=True, load_from=resumed)
    records = train_logged(runner)
    assert 'resumed epoch: 1, iter: 2' in records.at(logging.INFO)
    warnings = [m for m in records.at(logging.WARNING) if 'world size' in m]
    if recorded == 2:
        assert warnings == [world_size_change(checkpoint, 1)]
        assert 'saved by a run on 2 processes (world size 2) with 1 ' \
            'process (world size 1)' in warnings[0]
    else:
        assert warnings == []
