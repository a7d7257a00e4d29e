"""MMPretrain's own tools/train.py and tools/kfold-cross-valid.py (the ones
installed with MMPretrain) train mmlt's demo config.

Both tools set ``persistent_workers=True`` on every dataloader the config
leaves it unset on, which torch refuses for ``num_workers=0``; mmlt's configs
say ``persistent_workers=False`` where they use no workers.
"""
import json
import os
import os.path as osp
import subprocess
import sys
from typing import List

import mmpretrain

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')
MMPRETRAIN_TOOLS = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools')
# Two epochs: the demo schedule's cosine phase begins after one warm-up
# epoch, and mmengine refuses a scheduler whose begin equals its end.
# One checkpoint at the end keeps the run small.
SHORT = [
    '--cfg-options', 'train_cfg.max_epochs=2',
    'default_hooks.checkpoint.interval=2'
]


def run_mmpretrain_tool(tool: str, args: List[str]) -> str:
    """Run one of MMPretrain's installed tools and return its output."""
    script = osp.join(MMPRETRAIN_TOOLS, tool)
    assert osp.isfile(script), f'MMPretrain ships no {script}'
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([ROOT, env.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, script, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    return output


def test_mmpretrain_train_tool_trains_the_demo(tmp_path):
    work_dir = tmp_path / 'train'
    log = run_mmpretrain_tool(
        'train.py', [DEMO, '--work-dir', str(work_dir), *SHORT])
    assert (work_dir / 'epoch_2.pth').is_file()
    # validated at the end of training with mmlt's metric
    assert 'Epoch(val) [2]' in log
    assert 'long_tail/balanced_accuracy' in log


def test_mmpretrain_kfold_tool_trains_one_fold_of_the_demo(tmp_path):
    work_dir = tmp_path / 'kfold'
    log = run_mmpretrain_tool('kfold-cross-valid.py', [
        DEMO, '--num-splits', '2', '--fold', '0', '--seed', '1',
        '--work-dir',
        str(work_dir), *SHORT
    ])
    assert 'Cross-validation: [1/2]' in log
    assert (work_dir / 'fold0' / 'epoch_2.pth').is_file()
    info = json.loads((work_dir / 'kfold_exp.json').read_text())
    assert info['fold'] == 0 and info['kfold_split_seed'] == 1
    # the held-out half of the training split was evaluated
    assert 'Epoch(val) [2]' in log
    assert 'long_tail/balanced_accuracy' in log
