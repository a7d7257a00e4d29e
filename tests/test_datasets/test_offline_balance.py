import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmlt.datasets.annotation_parsers import parse_annotation_file
from mmlt.datasets.offline_balance import (balance_count_table,
                                           balance_indices, resolve_target)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KEYS = ['a'] * 7 + ['b'] * 3 + ['c'] * 1


def test_over_sampling_reaches_the_max_and_keeps_every_row():
    out, dropped, target = balance_indices(KEYS, 'max', 'over', seed=0)
    assert target == 7 and len(dropped) == 0
    got = [KEYS[i] for i in out]
    assert {k: got.count(k) for k in 'abc'} == {'a': 7, 'b': 7, 'c': 7}
    assert list(out[:11]) == list(range(11))  # originals first, in order


def test_under_sampling_lists_the_dropped_rows():
    out, dropped, target = balance_indices(KEYS, 'min', 'under', seed=0)
    assert target == 1
    assert len(out) == 3 and len(dropped) == 8
    assert sorted(set(out.tolist()) | set(dropped.tolist())) == list(
        range(11))
    both, dropped2, _ = balance_indices(KEYS, 3, 'both', seed=1)
    got = [KEYS[i] for i in both]
    assert {k: got.count(k) for k in 'abc'} == {'a': 3, 'b': 3, 'c': 3}
    assert len(dropped2) == 4


def test_seeded_and_validated():
    a = balance_indices(KEYS, 5, 'both', seed=2)
    b = balance_indices(KEYS, 5, 'both', seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    assert resolve_target([1, 3, 7], 'median') == 3
    assert resolve_target([1, 3, 7], '4') == 4
    with pytest.raises(ValueError, match="target='most'"):
        resolve_target([1], 'most')
    with pytest.raises(ValueError, match='target=0'):
        resolve_target([1], 0)
    with pytest.raises(ValueError, match="mode='down'"):
        balance_indices(KEYS, 3, 'down')


def test_balance_count_table():
    table = balance_count_table(['x', 'x', 'y'], ['x', 'y', 'y', 'y'])
    assert 'x' in table and '+2' in table and 'total' in table


def test_tool_end_to_end(tmp_path):
    ann = tmp_path / 'ann.csv'
    ann.write_text('filename,label,group_id,weight\n' +
                   ''.join(f'a{i}.png,cat,0,1\n' for i in range(6)) +
                   'b0.png,dog,1,2\nb1.png,dog,0,2\n')
    out = tmp_path / 'balanced.csv'
    proc = subprocess.run(
        [sys.executable, 'tools/dataset/balance_annotations.py', str(ann),
         str(out), '--target', '4', '--mode', 'both', '--classes',
         str(_classes(tmp_path))],
        cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert 'Dropped 2 rows' in proc.stdout and '0 (cat)' in proc.stdout
    rows, _ = parse_annotation_file(str(out), ['cat', 'dog'])
    assert [r['gt_label'] for r in rows].count(0) == 4
    assert [r['gt_label'] for r in rows].count(1) == 4
    assert all('weight' in r for r in rows)
    dropped, _ = parse_annotation_file(str(tmp_path / 'balanced.dropped.csv'),
                                       ['cat', 'dog'])
    assert len(dropped) == 2 and {r['gt_label'] for r in dropped} == {0}
    # JSON output keeps classes in its metainfo
    out_json = tmp_path / 'balanced.json'
    subprocess.run([sys.executable, 'tools/dataset/balance_annotations.py',
                    str(ann), str(out_json), '--by', 'group'], cwd=ROOT,
                   check=True, capture_output=True)
    content = json.loads(out_json.read_text())
    groups = [d['group_id'] for d in content['data_list']]
    assert groups.count(0) == groups.count(1) == 7


def test_tool_reports_bad_rows(tmp_path):
    ann = tmp_path / 'ann.csv'
    ann.write_text('filename,label\na.png,0\nb.png\n')
    proc = subprocess.run(
        [sys.executable, 'tools/dataset/balance_annotations.py', str(ann),
         str(tmp_path / 'o.csv')], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'ann.csv:3: expected 2 columns' in proc.stderr


def _classes(tmp_path):
    path = tmp_path / 'classes.txt'
    path.write_text('cat\ndog\n')
    return path
