"""The column "share of the CE→oracle gap closed": (row − ce) / (oracle −
ce) in balanced accuracy, shown only once the protocol's oracle row has
kept runs (so sections rendered before stay as they are), n/a until the
oracle and cross-entropy have every seed."""
import json
import math
import os
import os.path as osp

import pytest

from benchmarks import lt_benchmark, lt_gap, lt_logs, lt_render, lt_runs
from benchmarks.lt_combinations import ORACLES

BAL = lt_gap.BALANCED


def _run(name, seed, balanced):
    metrics = {key: 50.0 for key, _ in lt_logs.METRIC_COLUMNS}
    metrics.update({BAL: balanced, 'long_tail/num_many': 5,
                    'long_tail/num_medium': 3, 'long_tail/num_few': 2})
    return lt_logs.RunResult(name=name, seed=seed, metrics=metrics,
                             sec_per_epoch=5.0, peak_rss_mb=1000.0,
                             wall_s=60.0)


def _ref(ce, oracle, seeds=3):
    return lt_gap.GapReference(ce=ce, oracle=oracle, seeds=seeds,
                               ce_config='c.py', oracle_config='o.py')


def test_the_share_is_of_the_means():
    assert lt_gap.gap_closed([84, 86], [80, 80], [90, 90]) == \
        pytest.approx(0.5)
    assert lt_gap.gap_closed([80], [80], [90]) == 0
    assert lt_gap.gap_closed([92], [80], [90]) == pytest.approx(1.2)
    assert math.isnan(lt_gap.gap_closed([85], [80], [80]))
    assert math.isnan(lt_gap.gap_closed([], [80], [90]))


def test_the_cell_waits_for_every_seed():
    assert lt_gap.gap_cell([85, 85, 85], _ref([80] * 3, [90] * 3)) == '50%'
    assert lt_gap.gap_cell([85], _ref([80] * 3, [90, 90])) == 'n/a'
    assert lt_gap.gap_cell([85], _ref([80, 80], [90] * 3)) == 'n/a'
    assert lt_gap.gap_cell([85], _ref([80] * 3, [80] * 3)) == 'n/a'


def test_the_column_follows_balanced_and_only_with_a_reference():
    results = [_run('ce', 0, 80.0), _run('la', 0, 85.0)]
    plain = lt_render.render_table(results)
    assert lt_gap.GAP_TITLE not in plain
    lines = lt_render.render_table(
        results, gap=_ref([80.0], [90.0], seeds=1)).splitlines()
    head = [c.strip() for c in lines[0].strip('|').split('|')]
    assert head[head.index('balanced') + 1] == lt_gap.GAP_TITLE
    assert lines[1].count('|') == lines[0].count('|')
    cells = [c.strip() for c in lines[3].strip('|').split('|')]
    assert cells[head.index(lt_gap.GAP_TITLE)] == '50%'
    assert lines[2].split(' | ')[4] == '0%'
    # the other columns are the table without the gap, unchanged
    without = [c for i, c in enumerate(cells)
               if i != head.index(lt_gap.GAP_TITLE)]
    assert '| ' + ' | '.join(without) + ' |' == plain.splitlines()[3]
    info = dict(title='T', machine='m', schedule='s', data='d',
                command='c')
    assert 'oracle `o.py`' not in lt_render.render_section(results, info)
    assert 'oracle `o.py`' in lt_render.render_section(
        results, info, gap=_ref([80.0], [90.0], seeds=1))


def _keep(args, spec, seed, balanced):
    d = lt_runs.run_dir_of(args, spec.name, seed)
    os.makedirs(d, exist_ok=True)
    with open(osp.join(d, lt_logs.RESULT_FILE), 'w') as f:
        json.dump(dict(vars(_run(spec.name, seed, balanced)), epochs=60,
                       config=spec.path), f)


def _render(tmp_path, section):
    args = lt_benchmark.parse_args(
        ['--section', section, '--work-dir', str(tmp_path),
         '--records-dir', str(tmp_path / 'records'), '--render-only'])
    return args, lt_benchmark.render(args, machine='')


def test_sections_gain_the_column_once_the_oracle_has_runs(tmp_path,
                                                           monkeypatch):
    monkeypatch.setattr(lt_runs, 'config_epochs', lambda path: 60)
    ce, oracle = ORACLES['converged']
    args, _ = _render(tmp_path, 'lt-samplers')
    for seed in (0, 1, 2):
        _keep(args, ce, seed, 80.0 + seed)
    _, body = _render(tmp_path, 'lt-samplers')
    assert lt_gap.GAP_TITLE not in body  # no oracle run: as before
    _keep(args, oracle, 0, 90.0)
    _, body = _render(tmp_path, 'lt-samplers')
    assert lt_gap.GAP_TITLE in body
    assert '| ce | 3 | 50.00 ± 0.00 | 81.00 ± 1.00 | n/a |' in body
    for seed in (1, 2):
        _keep(args, oracle, seed, 90.0 + seed)
    _, body = _render(tmp_path, 'lt-samplers')
    assert '| ce | 3 | 50.00 ± 0.00 | 81.00 ± 1.00 | 0% |' in body
    assert 'ce `configs/baselines/resnet20_ce_1xb128_fashion-mnist-' \
        'lt1k-ir100.py`' in body
    # the oracle row of lt-combinations closes all of it
    _, body = _render(tmp_path, 'lt-combinations')
    assert '| oracle | 3 | 50.00 ± 0.00 | 91.00 ± 1.00 | 100% |' in body
    # the group-lift sections (other data) never have it
    _, body = _render(tmp_path, 'group-lift-rare')
    assert lt_gap.GAP_TITLE not in body


def test_a_protocol_without_an_oracle_has_no_column(tmp_path, monkeypatch):
    monkeypatch.setattr(lt_runs, 'config_epochs', lambda path: 15)
    assert 'finetune' not in ORACLES
    _, body = _render(tmp_path, 'finetune-methods')
    assert lt_gap.GAP_TITLE not in body
