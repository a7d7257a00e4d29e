"""LongTailMetric: classes without images in the evaluated set are "not
validated" (named, counted, left out of every class average), and
``log_per_class=True`` returns each class's recall and F1 as scalars under
keys safe for loggers and TensorBoard."""
import csv
import json
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from sklearn.metrics import f1_score, recall_score

from mmlt.evaluation.metrics.long_tail_metric import LongTailMetric, class_keys
from mmlt.registry import METRICS

NAMES = ['cat', 'big dog', 'cars/trucks', 'rare bird']
# class 3 ('rare bird') has no test image: e.g. 2 training images and a
# stratified 3-fold split that keeps it in training in every fold
# (one 'cat' is predicted as 'rare bird')
#         (gt, pred)
SAMPLES = [(0, 0), (0, 0), (0, 1), (0, 3),  # cat: 2 of 4
           (1, 1), (1, 1), (1, 0),          # big dog: 2 of 3
           (2, 2), (2, 1)]                  # cars/trucks: 1 of 2
COUNTS = [150, 60, 30, 2]  # many, medium, medium, few


def _evaluate(metric):
    metric.dataset_meta = {'classes': NAMES}
    metric.process(None, [{'pred_score': torch.eye(4)[p],
                           'gt_label': torch.tensor([g])}
                          for g, p in SAMPLES])
    return metric.compute_metrics(metric.results)


def _gt_pred():
    gt, pred = (np.array(col) for col in zip(*SAMPLES))
    return gt, pred


def test_class_keys_are_safe_and_distinct():
    keys = class_keys(['cat', 'big dog', 'a/b', 'a b', '///', 'é t',
                       ' x\\y '])
    assert keys == ['cat', 'big_dog', 'a_b', 'a_b_3', '4', 'é_t', 'x_y']
    assert len(set(keys)) == len(keys)


def test_not_validated_is_counted_named_and_left_out(logger, tmp_path):
    metric = LongTailMetric(topk=1, class_counts=COUNTS, save_per_class=True,
                            out_dir=str(tmp_path), per_class_in_results=True)
    res = _evaluate(metric)
    gt, pred = _gt_pred()
    # by hand: recalls 2/4, 2/3, 1/2 for the three validated classes
    assert res['num_not_validated'] == 1
    assert res['balanced_accuracy'] == pytest.approx(
        100 * (1 / 2 + 2 / 3 + 1 / 2) / 3)
    # F1 over the validated classes only: 'rare bird' was predicted once
    # (F1 0 by convention) and would pull the mean down by a quarter
    f1 = f1_score(gt, pred, labels=[0, 1, 2], average=None)
    assert res['macro_f1'] == pytest.approx(100 * f1.mean())
    assert res['macro_f1'] != pytest.approx(100 * f1.sum() / 4)
    # shot bins: few-shot holds only the not-validated class
    assert (res['num_many'], res['num_medium'], res['num_few']) == (1, 2, 1)
    assert res['many_shot'] == pytest.approx(50.0)
    assert res['medium_shot'] == pytest.approx(100 * (2 / 3 + 1 / 2) / 2)
    assert math.isnan(res['few_shot'])
    assert res['worst_class'] in (0, 2)
    assert math.isnan(res['per_class_recall'][3])
    assert math.isnan(res['per_class_f1'][3])
    assert res['per_class_precision'][3] == 0.0

    report = next(m for m in logger.infos if 'Long-tail' in m)
    line = next(x for x in report.splitlines()
                if x.startswith('not validated'))
    assert line.endswith(': 1 class(es) without images in this set, left '
                         'out of every class average: rare bird')
    assert '(1 classes, 1 not validated)' in report  # few-shot line
    assert '(2 classes)' in report  # medium: no note
    row = next(x for x in report.splitlines() if 'rare bird' in x and
               x.split()[0] == '3')
    assert row.split()[-6:] == ['0', '0.00', '-', '-', 'not', 'validated']

    with open(tmp_path / 'per_class.csv') as f:
        rows = list(csv.DictReader(f))
    assert (rows[3]['test_count'], rows[3]['recall'], rows[3]['f1']) == (
        '0', '', '')
    assert float(rows[0]['recall']) == pytest.approx(50.0)
    payload = json.loads((tmp_path / 'per_class.json').read_text())
    assert payload['per_class'][3]['recall'] is None
    assert payload['per_class'][3]['f1'] is None
    assert payload['summary']['num_not_validated'] == 1


def test_all_validated_reports_nothing_extra(logger):
    metric = LongTailMetric(topk=1)
    metric.process(None, [{'pred_score': torch.eye(2)[g],
                           'gt_label': torch.tensor([g])} for g in (0, 1)])
    res = metric.compute_metrics(metric.results)
    assert res['num_not_validated'] == 0
    assert 'not validated' not in logger.infos[-1]


def test_log_per_class_scalars(logger):
    assert not any('/' in k for k in _evaluate(
        LongTailMetric(topk=1, print_report=False)))
    res = _evaluate(LongTailMetric(topk=1, print_report=False,
                                   log_per_class=True))
    gt, pred = _gt_pred()
    recall = 100 * recall_score(gt, pred, labels=[0, 1, 2], average=None)
    f1 = 100 * f1_score(gt, pred, labels=[0, 1, 2], average=None)
    keys = ['cat', 'big_dog', 'cars_trucks']
    for c, key in enumerate(keys):
        assert res[f'recall/{key}'] == pytest.approx(recall[c])
        assert res[f'f1/{key}'] == pytest.approx(f1[c])
        assert isinstance(res[f'recall/{key}'], float)
    assert math.isnan(res['recall/rare_bird'])
    assert math.isnan(res['f1/rare_bird'])
    assert sorted(k for k in res if '/' in k) == sorted(
        f'{kind}/{key}' for kind in ('recall', 'f1')
        for key in keys + ['rare_bird'])
    with pytest.raises(ValueError, match='log_per_class'):
        LongTailMetric(log_per_class=1)


def test_log_per_class_keys_through_the_evaluator(logger):
    from mmpretrain.structures import DataSample
    evaluator = Evaluator(METRICS.build(dict(
        type='LongTailMetric', topk=1, log_per_class=True,
        print_report=False)))
    evaluator.dataset_meta = {'classes': NAMES}
    samples = []
    for g, p in SAMPLES:
        sample = DataSample().set_gt_label(g)
        sample.set_pred_score(torch.eye(4)[p])
        samples.append(sample)
    evaluator.process(samples)
    res = evaluator.evaluate(len(samples))
    assert res['long_tail/recall/big_dog'] == pytest.approx(200 / 3)
    assert res['long_tail/f1/cars_trucks'] == pytest.approx(
        100 * f1_score(*_gt_pred(), labels=[2], average=None)[0])
    assert res['long_tail/num_not_validated'] == 1
