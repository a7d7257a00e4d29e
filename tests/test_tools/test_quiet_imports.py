"""mmcv-lite's warning about MultiScaleDeformableAttention, raised when
MMPretrain imports mmcv.cnn, is not printed by mmlt's tools; other warnings
still are."""
import os
import os.path as osp
import subprocess
import sys
from typing import List

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMCV_LITE_WARNING = 'MultiScaleDeformableAttention'


def run_python(args: List[str]) -> str:
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([ROOT, env.get('PYTHONPATH', '')]))
    # Python's default warning filters, whatever the test run sets
    env.pop('PYTHONWARNINGS', None)
    proc = subprocess.run([sys.executable, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def test_train_help_prints_no_mmcv_lite_warning():
    output = run_python(['tools/train.py', '--help'])
    assert 'usage:' in output
    assert MMCV_LITE_WARNING not in output


def test_only_that_warning_is_silenced():
    output = run_python([
        '-c', 'import warnings\n'
        'import mmlt, mmpretrain\n'
        "warnings.warn('Fail to import ``probe`` from mmlt')\n"
        'warnings.warn_explicit("Fail to import '
        '``MultiScaleDeformableAttention``", UserWarning, "elsewhere.py", '
        '1, module="elsewhere")\n'
    ])
    assert 'Fail to import ``probe`` from mmlt' in output
    # the same text from another module is not hidden
    assert 'elsewhere.py:1: UserWarning' in output
    assert output.count(MMCV_LITE_WARNING) == 1
