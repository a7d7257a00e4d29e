"""compare_runs on real work dirs: the table holds each run's own metrics,
the settings that differ, seconds per epoch from the log, and the plots."""
import csv
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from model_helpers import tiny_convnext

import mmlt  # noqa: F401
from mmlt.analysis.run_comparison import (comparison_rows, differing_settings,
                                          load_run, seconds_per_epoch)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')
GROUP = osp.join(ROOT, 'configs', 'losses',
                 'ce-group1x2_convnext-atto_2xb32_digits-lt.py')

pytestmark = pytest.mark.usefixtures('one_thread')


def _train(config, work_dir, test):
    cfg = Config.fromfile(config)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = osp.basename(str(work_dir))
    cfg.model.backbone = tiny_convnext()
    cfg.model.head.in_channels = 16
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.train_dataloader.num_batch_per_epoch = 3
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.long_tail_context.plot = False
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.test() if test else None


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('runs')
    tested = _train(DEMO, root / 'focal', test=True)
    _train(GROUP, root / 'group', test=False)
    return root, tested


def test_table_holds_each_runs_metrics_and_differences(runs):
    root, tested = runs
    focal, group = load_run(str(root / 'focal')), load_run(str(root /
                                                              'group'))
    assert focal.metrics_from == 'per_class.json'
    assert focal.metrics['top1'] == pytest.approx(tested['long_tail/top1'])
    assert focal.metrics['balanced_accuracy'] == pytest.approx(
        tested['long_tail/balanced_accuracy'])
    assert group.metrics_from.startswith('validation at epoch 2')
    assert group.per_class is None
    header, rows = comparison_rows([focal, group])
    table = {name: dict(zip(header, row)) for name, row in
             zip(('focal', 'group'), rows)}
    assert table['focal']['config'] == 'convnext_focal.py'
    assert table['focal']['few'] == pytest.approx(
        tested['long_tail/few_shot'])
    assert table['focal']['group1'] == pytest.approx(
        tested['long_tail/group1_accuracy'])
    assert table['group']['top1'] == pytest.approx(
        group.val_log[-1]['top1'])
    assert table['focal']['peak_mem_MB'] is None  # MMEngine logs none on CPU
    assert table['focal']['s/epoch'] > 0
    settings = differing_settings([focal, group])
    assert settings['model.head.loss.type'] == ['FocalLoss',
                                                'CrossEntropyLoss']
    assert settings['model.head.group_weight.1'] == [None, 2.0]
    assert 'work_dir' not in settings and 'train_cfg.max_epochs' not in \
        settings


def test_seconds_per_epoch_by_hand():
    log = [dict(epoch=1, iter=5, time=1.0, loss=1.),
           dict(epoch=1, iter=10, time=3.0, loss=1.),
           dict(epoch=2, iter=15, time=0.5, loss=1.),
           dict(epoch=2, iter=20, time=0.7, loss=1.),
           dict(epoch=3, iter=30, time=0.4, loss=1.)]
    # epoch 1 (warm-up) left out: (0.6 * 10 + 0.4 * 10) / 2
    assert seconds_per_epoch(log) == pytest.approx(5.0)
    assert seconds_per_epoch(log[:2]) == pytest.approx(20.0)
    assert seconds_per_epoch([]) is None


def test_tool_writes_table_and_plots(runs, tmp_path):
    root, _ = runs
    out = tmp_path / 'cmp'
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/compare_runs.py',
         str(root / 'focal'), str(root / 'group'), '--names', 'F', 'G',
         '--out-dir', str(out)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert '| F | convnext_focal.py |' in proc.stdout
    with open(out / 'runs.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert [r['run'] for r in rows] == ['F', 'G']
    assert rows[1]['model.head.loss.type'] == 'CrossEntropyLoss'
    assert (out / 'accuracy_vs_count.png').stat().st_size > 0
    assert (out / 'training_curves.png').stat().st_size > 0


def test_bad_input_is_named(runs, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match=r"no metrics in work dir .*empty"):
        load_run(str(empty))
    with pytest.raises(FileNotFoundError, match='work dir not found'):
        load_run(str(tmp_path / 'missing'))
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/compare_runs.py',
         str(runs[0] / 'focal'), '--names', 'A', 'B'], cwd=ROOT,
        capture_output=True, text=True)
    assert proc.returncode != 0 and '--names has 2 names for 1' in \
        proc.stderr
