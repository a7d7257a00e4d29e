"""Real torchrun runs of tools/dist_train.sh and tools/dist_test.sh (gloo on
machines without CUDA)."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests', 'data', 'configs', 'digits_tiny.py')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run(args, **env_extra):
    env = dict(os.environ)
    env.update(
        PYTHON=sys.executable,
        PORT=str(free_port()),
        PYTHONPATH=os.pathsep.join(
            [osp.join(ROOT, 'tests', 'data'), ROOT,
             env.get('PYTHONPATH', '')]),
        OMP_NUM_THREADS='1',
        **env_extra)
    proc = subprocess.run(['bash', *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def rank_states(work_dir):
    return [
        torch.load(osp.join(work_dir, f'rank{r}_state.pth'),
                   weights_only=True) for r in (0, 1)
    ]


def assert_same_weights(states):
    a, b = states
    assert a['epoch'] == b['epoch'] and a['iter'] == b['iter']
    assert a['state'].keys() == b['state'].keys()
    for key in a['state']:
        assert torch.equal(a['state'][key], b['state'][key]), key


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the CPU (gloo) path')
def test_two_process_training_resume_and_distributed_test(tmp_path):
    work_dir = str(tmp_path / 'run')
    # 1 epoch, 2 processes
    log = run(['tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
               '--cfg-options', 'train_cfg.max_epochs=1'])
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    first = rank_states(work_dir)
    assert first[0]['epoch'] == 1
    assert_same_weights(first)
    # the run really had 2 ranks: each rank saw half the 538 images
    # (batch 32 -> 9 iterations per rank per epoch)
    assert first[0]['iter'] == 9

    # resume: continues with epoch 2 (0-based 1) only
    log = run(['tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
               '--resume', '--cfg-options', 'train_cfg.max_epochs=2'])
    assert 'resumed epoch: 1, iter: 9' in log
    second = rank_states(work_dir)
    assert second[0]['epoch'] == 2 and second[0]['iter'] == 18
    assert_same_weights(second)
    ckpt = osp.join(work_dir, 'epoch_2.pth')
    assert osp.exists(ckpt)

    # distributed evaluation equals single-process evaluation, on an odd
    # number of test images (401: the sampler pads one rank)
    def test_metrics(script_args, name):
        out = str(tmp_path / f'{name}.json')
        run(script_args + [
            '--out', out, '--out-item', 'metrics', '--work-dir',
            str(tmp_path / name), '--cfg-options',
            'test_dataloader.dataset.indices=401'
        ])
        with open(out) as f:
            return json.load(f)

    single = test_metrics(
        ['-c', f'"{sys.executable}" tools/test.py "$@"', 'test', CONFIG,
         ckpt], 'single')
    double = test_metrics(['tools/dist_test.sh', CONFIG, ckpt, '2'],
                          'double')
    assert single.keys() == double.keys()
    assert 'long_tail/many_shot' in single
    for key in single:
        assert single[key] == pytest.approx(double[key], nan_ok=True), key


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the CPU (gloo) path')
def test_two_process_rebalanced_sampler(tmp_path):
    import numpy as np

    from mmlt.datasets import DigitsLT
    config = osp.join(ROOT, 'tests', 'data', 'configs',
                      'digits_sampler_tiny.py')
    work_dir = str(tmp_path)
    run(['tools/dist_train.sh', config, '2', '--work-dir', work_dir])
    rank0, rank1 = (np.load(osp.join(work_dir, f'rank{r}_indices.npy'))
                    for r in (0, 1))
    # equal lengths, different draws on the two ranks
    assert rank0.shape == rank1.shape == (20, 272)
    assert not np.array_equal(rank0, rank1)
    # both ranks end training with the same weights
    assert_same_weights(rank_states(work_dir))
    # over both ranks, classes are drawn uniformly (class-balanced target)
    labels = DigitsLT(split='train', test_per_class=40).get_gt_labels()
    drawn = labels[np.concatenate([rank0.ravel(), rank1.ravel()])]
    freq = np.bincount(drawn, minlength=10) / drawn.size
    np.testing.assert_allclose(freq, 0.1, atol=0.012)
    # instance sampling would give the head class about 134/544
    assert freq[0] < 0.15


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the CPU (gloo) path')
def test_the_mission_command_trains_on_four_processes(tmp_path):
    """``tools/dist_train.sh configs/lt/convnext_focal.py 4``, as written
    (the demo config, from the repository root), trains on CPU with gloo:
    4 processes on a 2-core machine, 2 epochs, a checkpoint written."""
    work_dir = str(tmp_path / 'run')
    log = run(['tools/dist_train.sh', 'configs/lt/convnext_focal.py', '4',
               '--work-dir', work_dir, '--cfg-options',
               'train_cfg.max_epochs=2'])
    assert 'GPU number: 4' in log  # mmengine's name for the world size
    ckpt = osp.join(work_dir, 'epoch_2.pth')
    assert osp.isfile(ckpt)
    state = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert state['meta']['epoch'] == 2
    # 538 training images over 4 ranks of batch 32: 5 iterations a rank
    assert state['meta']['iter'] == 2 * 5
