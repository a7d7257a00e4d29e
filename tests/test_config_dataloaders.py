"""Every shipped config's dataloaders run under MMPretrain's own tools.

MMPretrain's tools/train.py and tools/kfold-cross-valid.py set
``persistent_workers=True`` on a dataloader unless the config sets it, and
torch refuses that without workers: a dataloader with ``num_workers=0`` must
say ``persistent_workers=False`` itself.
"""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

import mmlt  # noqa: F401  (resolves the configs' mmpretrain:: bases)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True))
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _config_id(path: str) -> str:
    return osp.relpath(path, osp.join(ROOT, 'configs'))


def test_configs_are_found():
    assert osp.join(ROOT, 'configs', 'lt',
                    'convnext_focal.py') in CONFIGS
    assert osp.join(ROOT, 'configs', '_base_', 'datasets',
                    'digits_lt_bs32.py') in CONFIGS


@pytest.mark.parametrize('path', CONFIGS, ids=_config_id)
def test_no_persistent_workers_without_workers(path):
    # Every file parses on its own, _base_ fragments included; a fragment
    # without dataloaders (models, schedules, runtime, tta) has nothing to
    # check.
    cfg = Config.fromfile(path)
    for field in DATALOADERS:
        loader = cfg.get(field, None)
        if loader is None:
            continue
        # torch's DataLoader default is num_workers=0
        if loader.get('num_workers', 0) == 0:
            assert loader.get('persistent_workers', None) is False, (
                f'{_config_id(path)}: {field} has num_workers=0 but '
                f"persistent_workers={loader.get('persistent_workers')!r}; "
                "MMPretrain's tools/train.py would set it to True")
