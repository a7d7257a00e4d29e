"""Auto-resume without last_checkpoint, damaged checkpoints, atomic saves.

The pure functions of ``mmlt.utils.checkpoint_files`` on hand-made work
dirs, then the fixes ``import mmlt`` puts into mmengine on a real Runner: a
resume that finds its checkpoint without ``last_checkpoint``, one that
passes over a truncated newest checkpoint, loads of damaged files that name
them, and a save that hits a full disk part-way.
"""
import builtins
import errno
import logging
import os
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner.checkpoint import _load_checkpoint

from model_helpers import toy_runner, train_logged

import mmlt  # noqa: F401  (applies the patches)
from mmlt.utils import (CorruptCheckpointError, checkpoint_problem,
                        find_resume_checkpoint, load_checkpoint_file,
                        write_checkpoint_atomic)
from mmlt.utils.checkpoint_files import list_checkpoints

pytestmark = pytest.mark.usefixtures('one_thread')


def _save(path, value=0.):
    torch.save({'state_dict': {'w': torch.full((64, ), float(value))},
                'meta': {'epoch': value}}, str(path))
    return str(path)


def _truncate(path, keep=0.5):
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])


# ---------------------------------------------------------------------------
# checkpoint_problem


def test_checkpoint_problem(tmp_path):
    good = _save(tmp_path / 'good.pth')
    assert checkpoint_problem(good) is None
    assert checkpoint_problem(good, verify_crc=True) is None

    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    assert 'empty' in checkpoint_problem(empty)

    data = open(good, 'rb').read()
    for keep in (0.1, 0.5, len(data) - 1):  # cut anywhere: no directory
        cut = tmp_path / f'cut_{keep}.pth'
        cut.write_bytes(data[:keep if isinstance(keep, int) else
                             int(len(data) * keep)])
        assert 'central directory' in checkpoint_problem(cut)

    # same length, one byte of a tensor flipped: only the CRCs tell
    flipped = bytearray(data)
    at = data.index(torch.full((64, ), 0.).numpy().tobytes())
    flipped[at] ^= 0xFF
    (tmp_path / 'flipped.pth').write_bytes(bytes(flipped))
    assert checkpoint_problem(tmp_path / 'flipped.pth') is None
    assert 'CRC' in checkpoint_problem(tmp_path / 'flipped.pth',
                                       verify_crc=True)

    legacy = tmp_path / 'legacy.pth'
    torch.save({'w': torch.zeros(2)}, str(legacy),
               _use_new_zipfile_serialization=False)
    assert checkpoint_problem(legacy) is None  # not checkable cheaply
    (tmp_path / 'text.pth').write_text('hello')
    assert 'not a torch checkpoint' in checkpoint_problem(
        tmp_path / 'text.pth')
    assert checkpoint_problem(tmp_path / 'absent.pth') == 'does not exist'


# ---------------------------------------------------------------------------
# find_resume_checkpoint


def test_resume_without_last_checkpoint_takes_the_newest(tmp_path):
    for n in (1, 2, 10):  # 10 > 2: by number, not by name
        _save(tmp_path / f'epoch_{n}.pth', n)
    # not checkpoints of the schedule: never resumed
    for name in ('best_accuracy_epoch_12.pth', 'epoch_11-0123abcd.pth',
                 '.epoch_13.pth.0123456789ab.tmp', 'epoch_14.pth.bak'):
        _save(tmp_path / name)
    choice = find_resume_checkpoint(tmp_path)
    assert choice.path == str(tmp_path / 'epoch_10.pth')
    assert choice.skipped == []
    assert choice.message == (
        'no last_checkpoint file; resuming from the newest intact '
        f'checkpoint {tmp_path / "epoch_10.pth"}')


def test_resume_follows_an_intact_last_checkpoint(tmp_path):
    for n in (1, 2):
        _save(tmp_path / f'epoch_{n}.pth', n)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    choice = find_resume_checkpoint(tmp_path)
    assert choice.path == str(tmp_path / 'epoch_1.pth')  # as mmengine
    (tmp_path / 'last_checkpoint').write_text('s3://bucket/run/iter_9.pth')
    assert find_resume_checkpoint(tmp_path).path == \
        's3://bucket/run/iter_9.pth'  # remote: taken unchecked


def test_resume_passes_over_damaged_checkpoints(tmp_path):
    for n in (1, 2, 3):
        _save(tmp_path / f'epoch_{n}.pth', n)
    _truncate(tmp_path / 'epoch_3.pth')
    (tmp_path / 'epoch_2.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    choice = find_resume_checkpoint(tmp_path)
    assert choice.path == str(tmp_path / 'epoch_1.pth')
    assert [p for p, _ in choice.skipped] == [
        str(tmp_path / 'epoch_3.pth'), str(tmp_path / 'epoch_2.pth')]
    assert 'empty' in choice.skipped[1][1]
    assert choice.message == (
        f'{tmp_path / "last_checkpoint"} names a damaged checkpoint; '
        f'resuming from the newest intact checkpoint {choice.path}')

    (tmp_path / 'epoch_1.pth').write_bytes(b'')
    with pytest.raises(RuntimeError, match='no intact checkpoint') as info:
        find_resume_checkpoint(tmp_path)
    assert all(f'epoch_{n}.pth' in str(info.value) for n in (1, 2, 3))


@pytest.mark.parametrize('pointer', ['', 'gone/epoch_7.pth'])
def test_resume_with_empty_or_dangling_last_checkpoint(tmp_path, pointer):
    _save(tmp_path / 'iter_50.pth')
    # a dangling pointer inside the work dir (one outside it: the copied
    # work dir tests of test_resume_copied_work_dir.py)
    (tmp_path / 'last_checkpoint').write_text(
        str(tmp_path / pointer) if pointer else '')
    choice = find_resume_checkpoint(tmp_path)
    assert choice.path == str(tmp_path / 'iter_50.pth')
    assert choice.message.startswith(
        f'{tmp_path / "last_checkpoint"} '
        + ('is empty' if not pointer else 'names a missing file'))


def test_nothing_to_resume(tmp_path):
    choice = find_resume_checkpoint(tmp_path)
    assert choice.path is None and 'from scratch' in choice.message


def test_mixed_epoch_and_iter_checkpoints_by_time(tmp_path):
    _save(tmp_path / 'iter_500.pth')
    _save(tmp_path / 'epoch_2.pth')
    os.utime(tmp_path / 'iter_500.pth', (1000, 1000))
    os.utime(tmp_path / 'epoch_2.pth', (2000, 2000))
    assert list_checkpoints(tmp_path) == [
        str(tmp_path / 'epoch_2.pth'), str(tmp_path / 'iter_500.pth')]


# ---------------------------------------------------------------------------
# loads of damaged files name them


@pytest.mark.parametrize('damage', ['truncated', 'empty'])
def test_damaged_checkpoint_load_names_the_file(tmp_path, damage):
    path = _save(tmp_path / 'epoch_4.pth')
    if damage == 'empty':
        open(path, 'wb').close()
    else:
        _truncate(path)
    # load_from (untrusted) through mmengine, and a trusted load
    with pytest.raises(CorruptCheckpointError, match='epoch_4.pth') as info:
        _load_checkpoint(path, map_location='cpu')
    assert info.value.filename == path
    with pytest.raises(CorruptCheckpointError, match='epoch_4.pth'):
        load_checkpoint_file(path, 'cpu', trusted=True)


def test_untrusted_refusal_is_still_reported_as_such(tmp_path):
    """An intact file whose pickle is refused is not called corrupt."""
    path = str(tmp_path / 'evil.pth')
    torch.save({'x': osp.join}, path)  # a global: weights_only refuses it
    with pytest.raises(Exception) as info:
        _load_checkpoint(path, map_location='cpu')
    assert not isinstance(info.value, CorruptCheckpointError)
    assert 'Refusing to unpickle' in str(info.value)


# ---------------------------------------------------------------------------
# a real Runner


class _StartEpoch(Hook):

    def before_train(self, runner):
        self.epoch = runner.epoch


def _runner(work_dir, name, max_epochs, **kwargs):
    return toy_runner(work_dir, name, max_epochs, **kwargs)


@pytest.fixture
def stage1(tmp_path):
    """A finished 2-epoch run: epoch_1.pth, epoch_2.pth, last_checkpoint."""
    work_dir = tmp_path / 'run'
    _runner(work_dir, f'first_{tmp_path.name}', max_epochs=2).train()
    return work_dir


def _resume(work_dir, name, max_epochs=3):
    probe = _StartEpoch()
    runner = _runner(work_dir, name, max_epochs, resume=True,
                     custom_hooks=[probe])
    records = train_logged(runner)
    return probe, records


def test_runner_resumes_without_last_checkpoint(stage1, tmp_path):
    """--resume in a work dir without last_checkpoint (copied, or written
    by another tool): mmengine alone would restart at epoch 0."""
    os.remove(stage1 / 'last_checkpoint')
    probe, records = _resume(stage1, f'resume_{tmp_path.name}')
    assert probe.epoch == 2
    newest = osp.join(str(stage1), 'epoch_2.pth')
    assert ('no last_checkpoint file; resuming from the newest intact '
            f'checkpoint {newest}') in records.at(logging.INFO)


def test_runner_resume_passes_over_a_truncated_checkpoint(stage1, tmp_path):
    newest = osp.join(str(stage1), 'epoch_2.pth')
    assert open(stage1 / 'last_checkpoint').read() == newest
    _truncate(newest)
    probe, records = _resume(stage1, f'broken_{tmp_path.name}')
    assert probe.epoch == 1
    [warning] = [m for m in records.at(logging.WARNING) if newest in m]
    assert osp.join(str(stage1), 'epoch_1.pth') in warning


class _DiskFullAt:
    """``open`` that lets ``quota`` bytes of a ``.pth`` file under ``root``
    reach the disk, then fails as a full disk does."""

    def __init__(self, root, quota=1000):
        self.root, self.quota = str(root), quota
        self.real_open = builtins.open

    def __call__(self, file, mode='r', *args, **kwargs):
        f = self.real_open(file, mode, *args, **kwargs)
        if (isinstance(file, (str, os.PathLike))
                and os.fspath(file).startswith(self.root)
                and '.pth' in osp.basename(os.fspath(file))
                and ('w' in mode or 'x' in mode)):
            return _FullDisk(f, self.quota)
        return f


class _FullDisk:

    def __init__(self, f, quota):
        self._f, self._left = f, quota

    def write(self, data):
        if len(data) > self._left:
            self._f.write(bytes(data[:self._left]))
            self._f.flush()
            self._left = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._left -= len(data)
        return self._f.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def __getattr__(self, name):
        return getattr(self._f, name)


def test_disk_full_while_saving_leaves_no_partial_checkpoint(
        stage1, tmp_path, monkeypatch):
    before = open(stage1 / 'epoch_2.pth', 'rb').read()
    runner = _runner(stage1, f'full_{tmp_path.name}', max_epochs=3,
                     resume=True)
    monkeypatch.setattr(builtins, 'open', _DiskFullAt(stage1))
    with pytest.raises((OSError, RuntimeError)):
        runner.train()  # epoch 3 trains, its checkpoint does not fit
    monkeypatch.undo()
    # no epoch_3.pth, whole or partial, and no temporary file
    assert sorted(n for n in os.listdir(stage1)
                  if '.pth' in n or n.endswith('.tmp')) == [
                      'epoch_1.pth', 'epoch_2.pth']
    assert open(stage1 / 'last_checkpoint').read() == \
        osp.join(str(stage1), 'epoch_2.pth')
    assert open(stage1 / 'epoch_2.pth', 'rb').read() == before
    assert find_resume_checkpoint(stage1).path == \
        osp.join(str(stage1), 'epoch_2.pth')


def test_disk_full_keeps_the_file_being_replaced(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import save_checkpoint
    path = _save(tmp_path / 'epoch_5.pth', 5)
    before = open(path, 'rb').read()
    monkeypatch.setattr(builtins, 'open', _DiskFullAt(tmp_path, quota=100))
    with pytest.raises((OSError, RuntimeError)) as info:
        save_checkpoint({'state_dict': {'w': torch.zeros(1000)}}, path)
    monkeypatch.undo()
    assert 'epoch_5.pth' in str(info.value)
    assert open(path, 'rb').read() == before
    assert os.listdir(tmp_path) == ['epoch_5.pth']  # no temporary file


def test_atomic_write_creates_dirs_and_keeps_umask(tmp_path):
    path = tmp_path / 'sub' / 'iter_3.pth'
    write_checkpoint_atomic({'w': torch.ones(3)}, path)
    assert torch.equal(torch.load(str(path))['w'], torch.ones(3))
    umask = os.umask(0)
    os.umask(umask)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o666 & ~umask)
    assert os.listdir(tmp_path / 'sub') == ['iter_3.pth']
