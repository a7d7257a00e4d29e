"""Auto-resume in a copied or moved work dir resumes the work dir's own file.

mmengine writes an absolute path into ``last_checkpoint``, so a copy of a
work dir names the original's checkpoint; the original run may have gone on
(or deleted that file with ``max_keep_ckpts``) since. These tests copy real
work dirs with ``shutil.copytree`` and check that
``find_resume_checkpoint`` never returns, nor searches, the original's
files, and that a real Runner resumed in the copy goes on from the copy's
own checkpoint with a WARNING that names both files.
"""
import logging
import os
import os.path as osp
import shutil

import pytest
import torch

from model_helpers import toy_runner, train_logged

import mmlt  # noqa: F401  (applies the patches)
from mmlt.utils import find_resume_checkpoint

pytestmark = pytest.mark.usefixtures('one_thread')


def _save(path, value=0.):
    torch.save({'state_dict': {'w': torch.full((16, ), float(value))},
                'meta': {'epoch': value}}, str(path))
    return str(path)


def _work_dir(path, epochs, pointer=None):
    """A work dir as CheckpointHook leaves it: ``epoch_N.pth`` for each N
    in ``epochs`` and an absolute ``last_checkpoint`` to the newest (or to
    ``pointer``)."""
    os.makedirs(path, exist_ok=True)
    for n in epochs:
        _save(osp.join(path, f'epoch_{n}.pth'), n)
    newest = pointer or osp.join(str(path), f'epoch_{max(epochs)}.pth')
    with open(osp.join(path, 'last_checkpoint'), 'w') as f:
        f.write(newest)
    return str(path)


def _go_on(work_dir, epochs, keep=2):
    """The original run continues: saves ``epochs``, keeps the newest
    ``keep`` (``max_keep_ckpts``) and points ``last_checkpoint`` at the
    newest."""
    _work_dir(work_dir, epochs)
    for name in os.listdir(work_dir):
        if name.startswith('epoch_') and int(
                name[6:-4]) <= max(epochs) - keep:
            os.remove(osp.join(work_dir, name))


@pytest.fixture
def copied(tmp_path):
    """``(original, copy)``: a run interrupted after epoch 2, copied, and
    the original continued to epoch 4 (epochs 3 and 4 kept)."""
    original = _work_dir(tmp_path / 'orig', (1, 2))
    copy = str(tmp_path / 'copy')
    shutil.copytree(original, copy)
    _go_on(original, (3, 4))
    return original, copy


def test_copy_resumes_its_own_checkpoint_of_the_same_name(copied):
    original, copy = copied
    assert sorted(os.listdir(original)) == [
        'epoch_3.pth', 'epoch_4.pth', 'last_checkpoint']
    named = osp.join(original, 'epoch_2.pth')  # gone from the original
    assert open(osp.join(copy, 'last_checkpoint')).read() == named
    choice = find_resume_checkpoint(copy)
    own = osp.join(copy, 'epoch_2.pth')
    assert choice.path == own  # not the original's epoch_4.pth
    assert choice.warning and choice.skipped == []
    assert choice.message == (
        f'{osp.join(copy, "last_checkpoint")} names {named}, outside the '
        f'work dir {copy} (the work dir was probably copied or moved; that '
        'file belongs to the run it came from); resuming from its '
        f'checkpoint of the same name {own} instead')


def test_copy_ignores_the_original_file_even_when_it_is_intact(tmp_path):
    """The original still holds the named file (and newer ones): the copy
    resumes its own file of that name all the same."""
    original = _work_dir(tmp_path / 'orig', (1, 2))
    copy = str(tmp_path / 'copy')
    shutil.copytree(original, copy)
    _go_on(original, (3, 4), keep=10)
    assert osp.isfile(osp.join(original, 'epoch_2.pth'))
    choice = find_resume_checkpoint(copy)
    assert choice.path == osp.join(copy, 'epoch_2.pth') and choice.warning


def test_copy_holding_only_an_older_checkpoint(copied):
    original, copy = copied
    os.remove(osp.join(copy, 'epoch_2.pth'))
    choice = find_resume_checkpoint(copy)
    own = osp.join(copy, 'epoch_1.pth')
    assert choice.path == own and choice.warning
    assert osp.join(original, 'epoch_2.pth') in choice.message
    assert choice.message.endswith(
        f'resuming from its newest intact checkpoint {own} instead')


def test_copy_passes_over_its_damaged_checkpoint(copied):
    original, copy = copied
    open(osp.join(copy, 'epoch_2.pth'), 'wb').close()
    choice = find_resume_checkpoint(copy)
    assert choice.path == osp.join(copy, 'epoch_1.pth') and choice.warning
    assert choice.skipped == [(osp.join(copy, 'epoch_2.pth'),
                               'is empty (0 bytes)')]
    open(osp.join(copy, 'epoch_1.pth'), 'wb').close()
    with pytest.raises(RuntimeError, match='no intact checkpoint') as info:
        find_resume_checkpoint(copy)  # the original's intact ones: not used
    assert osp.join(copy, 'epoch_1.pth') in str(info.value)
    assert original not in str(info.value).replace(copy, '')


def test_copy_without_checkpoints_starts_from_scratch(copied):
    original, copy = copied
    for n in (1, 2):
        os.remove(osp.join(copy, f'epoch_{n}.pth'))
    choice = find_resume_checkpoint(copy)
    assert choice.path is None and choice.warning
    assert osp.join(original, 'epoch_2.pth') in choice.message
    assert 'training starts from scratch' in choice.message


def test_moved_work_dir(tmp_path):
    original = _work_dir(tmp_path / 'orig', (1, 2))
    moved = str(tmp_path / 'elsewhere' / 'run')
    os.makedirs(osp.dirname(moved))
    shutil.move(original, moved)
    choice = find_resume_checkpoint(moved)
    assert choice.path == osp.join(moved, 'epoch_2.pth') and choice.warning
    assert osp.join(original, 'epoch_2.pth') in choice.message


def test_work_dir_through_a_symlink_is_not_a_copy(tmp_path):
    """Paths are compared resolved: a work dir reached through a link (or
    a pointer through one) is the same work dir."""
    real = _work_dir(tmp_path / 'real', (1, 2))
    link = str(tmp_path / 'link')
    os.symlink(real, link)
    choice = find_resume_checkpoint(link)
    assert choice.path == osp.join(real, 'epoch_2.pth')
    assert not choice.warning
    with open(osp.join(real, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(link, 'epoch_1.pth'))
    choice = find_resume_checkpoint(real)
    assert choice.path == osp.join(link, 'epoch_1.pth')
    assert not choice.warning


def test_checkpoint_out_dir_elsewhere_is_followed(tmp_path):
    """``CheckpointHook(out_dir=D)`` saves to ``D/<work dir's name>`` and
    writes ``last_checkpoint`` into the work dir, which holds no checkpoint:
    that folder is the run's own and is followed as before, damaged files
    passed over."""
    work_dir = str(tmp_path / 'work_dirs' / 'run')
    saved = str(tmp_path / 'big_disk' / 'run')
    os.makedirs(saved)
    for n in (1, 2):
        _save(osp.join(saved, f'epoch_{n}.pth'), n)
    _work_dir(work_dir, (), pointer=osp.join(saved, 'epoch_2.pth'))
    choice = find_resume_checkpoint(work_dir)
    assert choice.path == osp.join(saved, 'epoch_2.pth')
    assert not choice.warning
    open(osp.join(saved, 'epoch_2.pth'), 'wb').close()
    choice = find_resume_checkpoint(work_dir)
    assert choice.path == osp.join(saved, 'epoch_1.pth')
    assert not choice.warning

    # a copy under another name is not that run's: not followed
    copy = str(tmp_path / 'work_dirs' / 'run_copy')
    shutil.copytree(work_dir, copy)
    choice = find_resume_checkpoint(copy)
    assert choice.path is None and choice.warning


def test_remote_pointer_is_taken_as_before(tmp_path):
    work_dir = _work_dir(tmp_path / 'run', (1, ),
                         pointer='s3://bucket/run/epoch_9.pth')
    choice = find_resume_checkpoint(work_dir)
    assert choice.path == 's3://bucket/run/epoch_9.pth'
    assert not choice.warning


# ---------------------------------------------------------------------------
# a real Runner


def _runner(work_dir, name, max_epochs, **kwargs):
    return toy_runner(work_dir, name, max_epochs, default_hooks=dict(
        checkpoint=dict(type='CheckpointHook', interval=1,
                        max_keep_ckpts=2)), **kwargs)


def _train(work_dir, name, max_epochs, resume=False):
    runner = _runner(work_dir, name, max_epochs, resume=resume)
    records = train_logged(runner)
    return runner, records


def test_runner_resumes_a_copied_work_dir_from_its_own_checkpoint(tmp_path):
    """Interrupted after epoch 2, copied, the original run continued to
    epoch 4 (deleting its epoch_2.pth): ``--resume`` in the copy goes on
    from the copy's epoch_2.pth, not from the original's epoch_4.pth."""
    original, copy = str(tmp_path / 'orig'), str(tmp_path / 'copy')
    _train(original, f'orig_{tmp_path.name}', 2)
    shutil.copytree(original, copy)
    _train(original, f'orig_on_{tmp_path.name}', 4, resume=True)
    assert sorted(n for n in os.listdir(original) if n.endswith('.pth')) \
        == ['epoch_3.pth', 'epoch_4.pth']
    before = {n: os.stat(osp.join(original, n)).st_mtime_ns
              for n in os.listdir(original)}

    runner, records = _train(copy, f'copy_{tmp_path.name}', 3, resume=True)
    assert runner.epoch == 3
    named, own = osp.join(original, 'epoch_2.pth'), osp.join(
        copy, 'epoch_2.pth')
    [warning] = [m for m in records.at(logging.WARNING) if named in m]
    assert own in warning and 'copied or moved' in warning
    assert 'resumed epoch: 2, iter: 4' in records.at(logging.INFO)
    # the copy went on in itself; the original is untouched
    assert open(osp.join(copy, 'last_checkpoint')).read() == osp.join(
        copy, 'epoch_3.pth')
    assert {n: os.stat(osp.join(original, n)).st_mtime_ns
            for n in os.listdir(original)} == before
