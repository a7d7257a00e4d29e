import csv
import json

import numpy as np
import pytest

from mmlt.evaluation.report import (CSV_FIELDS, MAX_REPORT_GROUPS,
                                    format_report, group_columns,
                                    per_class_rows, write_per_class_csv,
                                    write_per_class_json)


def _rows(counts=None, shots=None):
    return per_class_rows(['a', 'b'], np.array([3, 0]), np.array([50., 0.]),
                          np.array([100., 0.]), np.array([66.7, 0.]), counts,
                          shots)


def test_rows_have_csv_fields():
    rows = _rows()
    assert [tuple(r) for r in rows] == [CSV_FIELDS] * 2
    assert rows[0]['train_count'] is None and rows[1]['test_count'] == 0


def test_report_without_counts():
    metrics = dict(top1=60.0, top5=100.0, balanced_accuracy=50.0,
                   macro_f1=40.0, weighted_f1=45.0, worst_class=1,
                   worst_class_accuracy=0.0, group0_accuracy=60.0,
                   group10_accuracy=10.0)
    text = format_report(metrics, _rows())
    assert 'skipped' in text and 'worst class' in text
    assert text.index('top1') < text.index('top5')
    assert text.index('group 0 ') < text.index('group 10 ')


def test_report_with_counts():
    metrics = dict(top1=60.0, balanced_accuracy=50.0, macro_f1=40.0,
                   weighted_f1=45.0, worst_class=1, worst_class_accuracy=0.0,
                   many_shot=80.0, medium_shot=float('nan'), few_shot=0.0,
                   num_many=1, num_medium=0, num_few=1)
    text = format_report(metrics, _rows(np.array([500, 3]), ['many', 'few']),
                         100, 20)
    assert 'many-shot (>100)' in text and '(0 classes)' in text
    assert 'n/a' in text and '500' in text


def test_json_is_strict(tmp_path):
    out = write_per_class_json({'medium_shot': float('nan')}, _rows(),
                               tmp_path / 'sub' / 'p.json')
    with open(out) as f:
        payload = json.load(f)
    assert payload['summary']['medium_shot'] is None


def _group_rows(group_ids):
    num = len(group_ids)
    support = np.tile([[2], [0]], num).T  # class b has no image anywhere
    recall = np.tile([[50.0], [np.nan]], num).T
    return per_class_rows(['a', 'b'], np.array([2 * num, 0]),
                          np.array([50., 0.]), np.array([50., 0.]),
                          np.array([50., 0.]), group_ids=group_ids,
                          group_support=support, group_recall=recall)


def test_group_columns_in_rows_and_csv(tmp_path):
    rows = _group_rows([0, 4])
    assert list(rows[0]) == list(CSV_FIELDS) + [
        *group_columns(0), *group_columns(4)
    ]
    assert rows[0]['group4_recall'] == 50.0
    assert rows[1]['group4_test_count'] == 0
    assert rows[1]['group4_recall'] is None  # not nan
    out = write_per_class_csv(rows, tmp_path / 'p.csv')
    with open(out) as f:
        read = list(csv.DictReader(f))
    assert read[1]['group0_recall'] == '' and read[1]['group0_test_count'] \
        == '0'


def test_group_shapes_are_checked():
    with pytest.raises(ValueError, match=r'group_recall must have shape '
                       r'\(2, 2\).*got None'):
        per_class_rows(['a', 'b'], np.array([1, 1]), np.ones(2), np.ones(2),
                       np.ones(2), group_ids=[0, 1],
                       group_support=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r'\(1, 2\).*got \(2, 2\)'):
        per_class_rows(['a', 'b'], np.array([1, 1]), np.ones(2), np.ones(2),
                       np.ones(2), group_ids=[0],
                       group_support=np.ones((2, 2)),
                       group_recall=np.ones((2, 2)))


def test_group_table_only_for_a_few_groups():
    metrics = dict(top1=50.0, balanced_accuracy=50.0, macro_f1=40.0,
                   weighted_f1=45.0, worst_class=0, worst_class_accuracy=50.0)
    few = list(range(MAX_REPORT_GROUPS))
    text = format_report(metrics, _group_rows(few), group_ids=few)
    table = text[text.index('recall by group'):].splitlines()
    assert table[3].split() == ['0', 'a'] + ['50.00', '(2)'] * len(few)
    assert table[4].split() == ['1', 'b'] + ['-'] * len(few)
    many = list(range(MAX_REPORT_GROUPS + 1))
    text = format_report(metrics, _group_rows(many), group_ids=many)
    assert f'{len(many)} groups, more than {MAX_REPORT_GROUPS}' in text
    assert 'recall by group (percent' not in text
    text = format_report(metrics, _group_rows([0]), group_ids=[0])
    assert 'by group' not in text
