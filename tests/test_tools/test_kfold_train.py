"""A real 2-process torchrun run of tools/dist_kfold_train.sh (gloo on
machines without CUDA): every fold trains on both ranks in one process
group, with the same weights on both, and rank 0 writes the out-of-fold
predictions of the whole training set."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from kfold_helpers import (CLASSES, ROOT, expected_folds, write_own_data,
                           write_tiny_config)

TRAIN = {'red': 12, 'green': 6, 'blue': 3, 'gray': 2}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the CPU (gloo) path')
def test_two_process_kfold_run(tmp_path):
    data = str(tmp_path / 'data')
    rows = write_own_data(data, TRAIN)
    config = write_tiny_config(
        str(tmp_path / 'tiny.py'), data,
        imports=['mmlt', 'rank_state_hook', 'kfold_probe_hook'],
        custom_hooks=['RankStateHook', 'KFoldProbeHook'])
    work_dir = str(tmp_path / 'work')
    env = dict(os.environ)
    env.update(
        PYTHON=sys.executable,
        PORT=str(_free_port()),
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join(
            [osp.join(ROOT, 'tests', 'data'), ROOT,
             env.get('PYTHONPATH', '')]))
    # --num-splits auto: min(3, smallest class 2) = 2 folds
    proc = subprocess.run(
        ['bash', 'tools/dist_kfold_train.sh', config, '2', '--work-dir',
         work_dir, '--seed', '3'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert log.count('Distributed training: True') == 2  # one per fold
    assert 'GPU number: 2' in log  # mmengine's name for the world size

    with np.load(osp.join(work_dir, 'oof_predictions.npz')) as f:
        oof = dict(f)
    labels = [CLASSES.index(r[1]) for r in rows]
    assert oof['index'].tolist() == list(range(len(rows)))
    assert oof['fold'].tolist() == expected_folds(labels, 2, 3).tolist()
    assert not np.isnan(oof['probs']).any()  # 2 folds: gray is validated
    # each row from its fold's model (the probe hook's head bias)
    assert (oof['probs'].argmax(1) == oof['fold']).all()
    for k in range(2):
        fold_dir = osp.join(work_dir, f'fold_{k}')
        states = [torch.load(osp.join(fold_dir, f'rank{r}_state.pth'),
                             weights_only=True)['state'] for r in (0, 1)]
        for key in states[0]:
            assert torch.equal(states[0][key], states[1][key]), (k, key)
        seen = []
        for r in (0, 1):
            with open(osp.join(fold_dir, f'seen_rank{r}.jsonl')) as f:
                seen.append({i for line in f
                             for i in json.loads(line)['seen']})
        held_out = set(np.flatnonzero(oof['fold'] == k).tolist())
        # both ranks trained on the fold, together on all of its training
        # part and never on its held-out part
        assert seen[0] and seen[1]
        assert seen[0] | seen[1] == set(range(len(rows))) - held_out
    for name in ('kfold_metrics.md', 'kfold_metrics.csv',
                 'oof_predictions.csv', 'ensemble_config.py'):
        assert osp.isfile(osp.join(work_dir, name)), name
