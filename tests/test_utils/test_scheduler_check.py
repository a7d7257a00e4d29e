"""A schedule not longer than its warm-up is refused naming both."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.utils.scheduler_check import check_param_schedulers

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')
WARMUP_COSINE = [
    dict(type='LinearLR', by_epoch=True, begin=0, end=1),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1),
]


def test_pure_check():
    check_param_schedulers(WARMUP_COSINE, max_epochs=2, max_iters=None)
    with pytest.raises(ValueError, match=r'param_scheduler\[1\] '
                       r'\(CosineAnnealingLR\) starts at epoch 1 but ends '
                       r'at 1 \(its end defaults to max_epochs\): '
                       r'train_cfg.max_epochs=1 .*param_scheduler\[0\] '
                       r'\(LinearLR\) over epochs 0-1'):
        check_param_schedulers(WARMUP_COSINE, max_epochs=1, max_iters=None)
    with pytest.raises(ValueError, match=r'starts at iteration 5 but ends '
                       r'at 5.*max_iters=5'):
        check_param_schedulers(
            [dict(type='ConstantLR', by_epoch=False, begin=5)], None, 5)
    check_param_schedulers([dict(type='ConstantLR', by_epoch=False)], None,
                           5)


def test_runner_names_max_epochs_and_the_warmup(tmp_path):
    cfg = Config.fromfile(DEMO)
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'train_cfg.max_epochs=1 leaves it '
                       r'no epoch after the warm-up'):
        runner.train()
