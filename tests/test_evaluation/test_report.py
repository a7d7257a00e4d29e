import json

import numpy as np

from mmlt.evaluation.report import (CSV_FIELDS, format_report,
                                    per_class_rows, write_per_class_json)


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
