"""SAM and SWA under 2-process DDP (torchrun, gloo on CPU) on a generated
CSV data set of real images (scikit-learn's digit scans as PNGs): each
rank's first SAM pass is local (no all-reduce: different gradient norms), the
second is all-reduced (identical weights); SWA's averaged model and its
recomputed BatchNorm statistics (averaged over the ranks' shards) are
identical on both ranks."""
import csv
import os
import os.path as osp
import socket
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIG = osp.join(ROOT, 'tests', 'data', 'configs', 'csv_sam_swa_tiny.py')
# long-tailed: 128 training images, 2 validation images per class
TRAIN = [24, 20, 18, 16, 14, 12, 10, 6, 5, 3]


def make_csv_digits(root):
    """classes.txt, {train,val,test}.csv (filename, label, group_id) and
    images/*.png: digit scans (8x8, grey levels 0-16) scaled to 32x32."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = np.round(digits.images * (255. / 16.)).astype(np.uint8)
    os.makedirs(osp.join(root, 'images'))
    unused = {c: iter(np.flatnonzero(digits.target == c)) for c in range(10)}
    for split, counts in (('train', TRAIN), ('val', [2] * 10)):
        rows = []
        for c, n in enumerate(counts):
            for k in range(n):
                i = next(unused[c])
                name = f'{split}_{i}.png'
                cv2.imwrite(osp.join(root, 'images', name),
                            cv2.resize(images[i], (32, 32)))
                rows.append((name, f'digit{c}', k % 2))
        with open(osp.join(root, f'{split}.csv'), 'w', newline='') as f:
            csv.writer(f).writerows([('filename', 'label', 'group_id')] +
                                    rows)
    os.symlink('val.csv', osp.join(root, 'test.csv'))
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write(''.join(f'digit{c}\n' for c in range(10)))


def run(args):
    """tools/dist_train.sh as tests/test_tools/test_dist_train.py runs it:
    a free port, one thread per process, tests/data on the path."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port),
               OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [osp.join(ROOT, 'tests', 'data'), ROOT, env.get('PYTHONPATH', '')])
    proc = subprocess.run(['bash', *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the CPU (gloo) path')
def test_two_process_sam_and_swa(tmp_path):
    data_root, work_dir = str(tmp_path / 'data'), str(tmp_path / 'work')
    make_csv_digits(data_root)
    log = run(['tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
               '--cfg-options'] + [
                   f'{split}_dataloader.dataset.data_root={data_root}'
                   for split in ('train', 'val', 'test')
               ])
    assert 'Distributed training: True' in log
    assert 'BatchNorm statistics of the averaged model recomputed' in log
    a, b = (torch.load(osp.join(work_dir, f'rank{r}_probe.pth'),
                       weights_only=True) for r in (0, 1))
    # 128 images, 2 ranks, batch 32: 2 iterations per epoch, 2 epochs
    assert a['iter'] == b['iter'] == 4
    # first pass: each rank's own gradient (different norms, 4 steps)
    assert a['sam_grad_norms'].shape == (4, )
    assert not torch.allclose(a['sam_grad_norms'], b['sam_grad_norms'])
    # second pass all-reduced: identical weights. (BatchNorm running
    # statistics are rank-local after the last forward, as in any DDP run:
    # DDP broadcasts rank 0's at the next forward; checkpoints hold rank
    # 0's.)
    weights = [k for k in a['state']
               if 'running_' not in k and 'num_batches' not in k]
    assert len(weights) > 10
    for key in weights:
        assert torch.equal(a['state'][key], b['state'][key]), key
    # the averaged model and its recomputed statistics agree across ranks
    assert int(a['swa']['steps']) == 2
    for key in a['swa']:
        torch.testing.assert_close(a['swa'][key], b['swa'][key], msg=key)
    # ... and the statistics are not the trained model's
    bn = 'module.backbone.bn1.running_var'
    assert not torch.allclose(a['swa'][bn], a['state'][bn[7:]])
    # the checkpoint holds the averaged model
    ckpt = torch.load(osp.join(work_dir, 'epoch_2.pth'), weights_only=False)
    for key, value in ckpt['state_dict'].items():
        torch.testing.assert_close(value, a['swa']['module.' + key], msg=key)
