"""configs/lt/, the stable entry folder: the demo and the own-data starter
live there, and every config the earlier configs/lt/ held is answered with
its new path (moved.yml, its README table, mmengine's Config.fromfile as
mmlt patches it, tools/train.py)."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

import mmlt  # noqa: F401
from mmlt.utils.moved_configs import moved_config_hint, read_moved_table

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
LT = osp.join(ROOT, 'configs', 'lt')
MOVED = read_moved_table(osp.join(LT, 'moved.yml'))
STARTER = osp.join(LT, 'convnext-atto_logit-adjusted_1xb32_own-csv.py')
OLD_STARTER = osp.join(ROOT, 'configs', 'baselines',
                       'convnext-atto_focal_1xb32_own-csv.py')


def test_the_entry_configs_exist():
    assert osp.isfile(osp.join(LT, 'convnext_focal.py'))
    assert osp.isfile(STARTER)


def test_moved_table_names_old_paths_gone_and_new_paths_present():
    # 82 files beside convnext_focal.py before the split into families
    assert len(MOVED) == 82
    assert len({row.old for row in MOVED}) == len(MOVED)
    for row in MOVED:
        assert row.old.startswith('configs/lt/'), row
        assert not osp.exists(osp.join(ROOT, row.old)), row.old
        assert osp.isfile(osp.join(ROOT, row.new)), row.new


def test_readme_lists_every_moved_config():
    with open(osp.join(LT, 'README.md')) as f:
        text = f.read()
    listed = re.findall(r'^\| `(configs/lt/[^`]+)` \| \[`([^`]+)`\]', text,
                        re.M)
    assert sorted(listed) == sorted((row.old, row.new) for row in MOVED)


@pytest.mark.parametrize('row', [MOVED[0], MOVED[-1]],
                         ids=lambda r: osp.basename(r.old))
def test_a_moved_path_is_answered_with_its_new_path(row, tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        Config.fromfile(osp.join(ROOT, row.old))
    assert f'is now {osp.relpath(osp.join(ROOT, row.new))}' in str(
        info.value)
    # a child config that inherits the old path
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{osp.join(ROOT, row.old)!r}]\n')
    with pytest.raises(FileNotFoundError, match=re.escape(
            osp.relpath(osp.join(ROOT, row.new)))):
        Config.fromfile(str(child))


def test_the_demo_moved_from_baselines_is_answered():
    hint = moved_config_hint(
        osp.join(ROOT, 'configs', 'baselines', 'convnext_focal.py'))
    assert hint and 'configs/lt/convnext_focal.py' in hint


def test_an_unknown_missing_config_keeps_the_plain_error():
    assert moved_config_hint(osp.join(LT, 'no_such_config.py')) is None
    with pytest.raises(FileNotFoundError) as info:
        Config.fromfile(osp.join(LT, 'no_such_config.py'))
    assert 'is now' not in str(info.value)


def test_tools_train_answers_an_old_path(tmp_path):
    row = next(r for r in MOVED if r.old.endswith(
        'ldam-drw_resnet32_1xb128_cifar10-lt-ir100.py'))
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', row.old, '--work-dir',
         str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
        timeout=300, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode != 0
    assert f'is now {row.new}' in proc.stderr, proc.stderr[-2000:]


def test_old_starter_is_the_starter_with_the_sigmoid_focal_loss():
    """The earlier own-data starter keeps its file name and its training:
    the starter with MMPretrain's FocalLoss in place of the logit-adjusted
    loss, nothing else."""
    old = Config.fromfile(OLD_STARTER).to_dict()
    new = Config.fromfile(STARTER).to_dict()
    assert new['model']['head']['loss'] == dict(
        type='LogitAdjustedLoss', tau=1.0)
    assert old['model']['head']['loss'] == dict(
        type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)
    for cfg in (old, new):
        cfg['model']['head'].pop('loss')
    assert old == new
