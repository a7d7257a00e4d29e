import csv
import json
import math
import warnings

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample
from sklearn.metrics import (accuracy_score, balanced_accuracy_score,
                             f1_score, precision_recall_fscore_support,
                             recall_score)

from mmlt.evaluation.metrics.long_tail_metric import LongTailMetric
from mmlt.registry import METRICS

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
NUM_CLASSES = 7


def random_data(seed=0, num=500):
    """Scores/labels where class 5 is never predicted, 6 never in the gt."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES - 1, size=num)
    scores = rng.normal(size=(num, NUM_CLASSES)).astype(np.float32)
    scores[np.arange(num), labels] += 1.0
    scores[:, 5] -= 10.0
    groups = rng.integers(0, 3, size=num)
    return scores, labels, groups


def make_samples(scores, labels, groups=None):
    samples = []
    for i, (score, label) in enumerate(zip(scores, labels)):
        sample = {
            'pred_score': torch.as_tensor(score),
            'gt_label': torch.tensor([int(label)]),
        }
        if groups is not None:
            # int and one-element tensor forms are both accepted.
            sample['group_id'] = (int(groups[i]) if i % 2 else
                                  torch.tensor([int(groups[i])]))
        samples.append(sample)
    return samples


def evaluate(metric, samples, batch=64):
    for i in range(0, len(samples), batch):
        metric.process(None, samples[i:i + batch])
    return metric.compute_metrics(metric.results)


def test_matches_sklearn(logger):
    scores, labels, _ = random_data()
    pred = scores.argmax(1)
    assert 5 not in pred and 6 not in labels
    res = evaluate(
        LongTailMetric(print_report=False, per_class_in_results=True),
        make_samples(scores, labels))
    all_labels = np.arange(NUM_CLASSES)
    assert res['top1'] == pytest.approx(100 * accuracy_score(labels, pred))
    top5 = np.argsort(-scores, axis=1)[:, :5]
    assert res['top5'] == pytest.approx(
        100 * np.mean((top5 == labels[:, None]).any(1)))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        bacc = balanced_accuracy_score(labels, pred)
        p, r, f, s = precision_recall_fscore_support(
            labels, pred, labels=all_labels, zero_division=0)
    assert res['balanced_accuracy'] == pytest.approx(100 * bacc)
    # class 6 has no test image: not validated, out of the class averages
    present = s > 0
    assert res['num_not_validated'] == 1 and not present[6]
    for avg in ('macro', 'weighted'):
        ref = f1_score(labels, pred, labels=all_labels[present], average=avg,
                       zero_division=0)
        assert res[f'{avg}_f1'] == pytest.approx(100 * ref)
    np.testing.assert_allclose(res['per_class_precision'], 100 * p)
    np.testing.assert_allclose(res['per_class_recall'],
                               np.where(present, 100 * r, np.nan))
    np.testing.assert_allclose(res['per_class_f1'],
                               np.where(present, 100 * f, np.nan))
    assert res['worst_class_accuracy'] == pytest.approx(100 * r[present].min())
    assert res['worst_class'] == int(np.flatnonzero(present)[np.argmin(
        r[present])])
    assert 'many_shot' not in res and 'group0_accuracy' in res


def test_shot_bins_at_boundaries(logger):
    # many: >100 ; medium: 20..100 inclusive ; few: <20
    counts = [101, 100, 20, 19, 500, 0, 50]
    labels = np.repeat(np.arange(NUM_CLASSES), 4)
    # class c gets (c % 5) of its 4 samples right (capped at 4).
    correct = np.array([c % 5 for c in range(NUM_CLASSES)])
    pred = labels.copy()
    for c in range(NUM_CLASSES):
        idx = np.flatnonzero(labels == c)[correct[c]:]
        pred[idx] = (c + 1) % NUM_CLASSES
    scores = np.eye(NUM_CLASSES, dtype=np.float32)[pred]
    metric = LongTailMetric(class_counts=counts, print_report=False)
    res = evaluate(metric, make_samples(scores, labels))
    recall = 100 * correct / 4
    assert (res['num_many'], res['num_medium'], res['num_few']) == (2, 3, 2)
    assert res['many_shot'] == pytest.approx(recall[[0, 4]].mean())
    assert res['medium_shot'] == pytest.approx(recall[[1, 2, 6]].mean())
    assert res['few_shot'] == pytest.approx(recall[[3, 5]].mean())

    # An empty bin gives nan.
    metric.set_class_counts([200] * NUM_CLASSES)
    res = metric.compute_metrics(metric.results)
    assert res['num_many'] == NUM_CLASSES
    assert math.isnan(res['medium_shot']) and math.isnan(res['few_shot'])


def test_argmax_not_pred_label(logger):
    samples = [{
        'pred_score': torch.tensor([0.1, 0.7, 0.2]),
        'pred_label': torch.tensor([0]),
        'gt_label': torch.tensor([1]),
    }]
    res = evaluate(LongTailMetric(topk=1, print_report=False), samples)
    assert res['top1'] == 100.0


def test_group_accuracy(logger):
    scores = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
    labels = np.array([0, 1, 0, 0, 2, 2])
    groups = np.array([0, 0, 1, 1, 2, 2])
    res = evaluate(
        LongTailMetric(topk=1, print_report=False),
        make_samples(scores, labels, groups))
    assert res['group0_accuracy'] == 100.0
    assert res['group1_accuracy'] == 50.0
    assert res['group2_accuracy'] == 50.0


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], float) and math.isnan(a[k]):
            assert math.isnan(b[k])
        else:
            assert a[k] == pytest.approx(b[k])


def test_two_ranks_equal_one(logger):
    scores, labels, groups = random_data(seed=1)
    samples = make_samples(scores, labels, groups)
    counts = [300, 150, 100, 40, 20, 5, 1]
    single = evaluate(
        LongTailMetric(class_counts=counts, print_report=False), samples)
    rank0 = LongTailMetric(class_counts=counts, print_report=False)
    rank1 = LongTailMetric(class_counts=counts, print_report=False)
    rank0.process(None, samples[0::2])
    rank1.process(None, samples[1::2])
    merged = rank0.compute_metrics(rank0.results + rank1.results)
    _same(single, merged)


def test_invalid_arguments(logger):
    with pytest.raises(ValueError, match='few_shot_thr'):
        LongTailMetric(many_shot_thr=20, few_shot_thr=20)
    with pytest.raises(ValueError, match='few_shot_thr'):
        LongTailMetric(many_shot_thr=10, few_shot_thr=20)
    with pytest.raises(ValueError, match='topk'):
        LongTailMetric(topk=0)
    with pytest.raises(ValueError, match='topk'):
        LongTailMetric(topk=(1, 'a'))
    with pytest.raises(ValueError, match='-3'):
        LongTailMetric(class_counts=[5, -3])
    with pytest.raises(ValueError, match='integers'):
        LongTailMetric(class_counts=[5, 1.5])
    with pytest.raises(ValueError, match='collect_device'):
        LongTailMetric(collect_device='tpu')
    with pytest.raises(ValueError, match='print_report'):
        LongTailMetric(print_report='yes')


def test_invalid_inputs(logger):
    scores, labels, _ = random_data(num=20)
    metric = LongTailMetric(class_counts=[1, 2, 3, 4, 5], print_report=False)
    with pytest.raises(ValueError, match=r'5 entries.*7 classes'):
        evaluate(metric, make_samples(scores, labels))
    with pytest.raises(ValueError, match='gt_label 7'):
        LongTailMetric().process(None, make_samples(scores[:1], [7]))
    bad = [{'pred_label': 0, 'gt_label': -1, 'gt_rank': 0, 'num_classes': 3,
            'group_id': 0}]
    with pytest.raises(ValueError, match='gt_label -1'):
        LongTailMetric().compute_metrics(bad)
    with pytest.raises(ValueError, match='pred_score'):
        LongTailMetric().process(None, [{'gt_label': torch.tensor([0])}])


def test_topk_larger_than_classes_skipped(logger):
    scores = np.eye(3, dtype=np.float32)
    metric = LongTailMetric(topk=(1, 5), print_report=False)
    res = evaluate(metric, make_samples(scores, [0, 1, 1]))
    assert 'top5' not in res and res['top1'] == pytest.approx(200 / 3)
    metric.compute_metrics(metric.results)
    top5_warnings = [w for w in logger.warnings if 'top-5' in w]
    assert len(top5_warnings) == 1
    count_warnings = [w for w in logger.warnings if 'class counts' in w]
    assert len(count_warnings) == 1 and 'LongTailContextHook' in \
        count_warnings[0]


def test_report_and_files(logger, tmp_path):
    scores, labels, groups = random_data(num=60)
    names = [f'cls_{i}' for i in range(NUM_CLASSES)]
    counts = [300, 150, 100, 40, 20, 5, 1]
    metric = LongTailMetric(
        class_counts=counts, save_per_class=True, per_class_in_results=True,
        save_confusion_matrix=True)
    metric.dataset_meta = {'classes': names}
    # Without out_dir nothing is written.
    evaluate(metric, make_samples(scores, labels, groups))
    assert not any(tmp_path.iterdir())
    metric.set_out_dir(tmp_path / 'run')
    res = metric.compute_metrics(metric.results)

    report = next(m for m in logger.infos if 'Long-tail' in m)
    assert 'balanced accuracy' in report and 'cls_6' in report
    assert 'many-shot (>100)' in report and 'few-shot (<20)' in report
    assert 'worst class' in report and 'group 2 accuracy' in report

    out = tmp_path / 'run'
    with open(out / 'per_class.csv') as f:
        rows = list(csv.DictReader(f))
    assert [r['class_name'] for r in rows] == names
    assert [int(r['train_count']) for r in rows] == counts
    assert float(rows[0]['recall']) == pytest.approx(
        res['per_class_recall'][0])
    payload = json.loads((out / 'per_class.json').read_text())
    assert len(payload['per_class']) == NUM_CLASSES
    assert payload['summary']['top1'] == pytest.approx(res['top1'])
    for png in ('confusion_matrix.png', 'accuracy_vs_count.png'):
        assert (out / png).read_bytes()[:8] == PNG_MAGIC


def test_no_plot_of_counts_when_unknown(logger, tmp_path):
    scores, labels, _ = random_data(num=30)
    metric = LongTailMetric(
        out_dir=str(tmp_path), save_confusion_matrix=True,
        print_report=False)
    evaluate(metric, make_samples(scores, labels))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'confusion_matrix.png'
    ]


def test_registry_and_evaluator(logger):
    scores, labels, groups = random_data(seed=2, num=40)
    metric = METRICS.build(
        dict(type='LongTailMetric', topk=(1, 5),
             class_counts=[300, 150, 100, 40, 20, 5, 1]))
    assert isinstance(metric, LongTailMetric)
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = {'classes': [f'c{i}' for i in range(7)]}
    samples = []
    for score, label, group in zip(scores, labels, groups):
        sample = DataSample().set_gt_label(int(label))
        sample.set_pred_score(torch.as_tensor(score))
        sample.set_pred_label(0)  # must be ignored in favour of argmax
        sample.set_field(int(group), 'group_id', field_type='metainfo')
        samples.append(sample)
    evaluator.process(samples[:25])
    evaluator.process(samples[25:])
    res = evaluator.evaluate(len(samples))
    pred = scores.argmax(1)
    assert res['long_tail/top1'] == pytest.approx(
        100 * np.mean(pred == labels))
    for g in np.unique(groups):
        keep = groups == g
        assert res[f'long_tail/group{g}_accuracy'] == pytest.approx(
            100 * np.mean(pred[keep] == labels[keep]))
    assert {'long_tail/many_shot', 'long_tail/num_few'} <= res.keys()
    # per-class lists only on request (they would flood the log)
    assert 'long_tail/per_class_f1' not in res
    assert any('Long-tail evaluation report' in m and 'c6' in m
               for m in logger.infos)


def test_group_head_accuracy_by_hand_count(logger):
    scores, labels, groups = random_data(seed=3, num=60)
    rng = np.random.default_rng(3)
    group_scores = rng.normal(size=(60, 3)).astype(np.float32)
    samples = []
    for i in range(60):
        sample = {'pred_score': torch.as_tensor(scores[i]),
                  'gt_label': torch.tensor([int(labels[i])]),
                  'group_id': int(groups[i])}
        if i % 3 == 0:  # a score: its argmax is the prediction
            sample['pred_group_score'] = torch.as_tensor(group_scores[i])
        elif i % 3 == 1:  # a label only
            sample['pred_group_label'] = torch.tensor(
                [int(group_scores[i].argmax())])
        # i % 3 == 2: no group prediction, not scored
        samples.append(sample)
    hits = [group_scores[i].argmax() == groups[i] for i in range(60)
            if i % 3 != 2]
    result = evaluate(LongTailMetric(print_report=False), samples)
    assert result['group_head_accuracy'] == pytest.approx(
        100 * np.mean(hits))
    # without group_id (in no sample) a group prediction is not scored
    ungrouped = [{'pred_score': torch.as_tensor(scores[0]),
                  'gt_label': torch.tensor([int(labels[0])]),
                  'pred_group_label': torch.tensor([0])}]
    assert 'group_head_accuracy' not in evaluate(
        LongTailMetric(print_report=False), ungrouped)
    plain = make_samples(scores, labels, groups)
    assert 'group_head_accuracy' not in evaluate(
        LongTailMetric(print_report=False), plain)


# A hand-made set for the class x group view. None is group 0, given to the
# sample explicitly (data where only some samples have a group_id is
# refused; data without any is group 0, the rule for group{g}_accuracy).
#                 gt  pred group
GROUPED_SET = [(0, 0, None), (0, 1, None), (1, 1, None),
               (0, 0, 1), (1, 0, 1), (1, 1, 1), (1, 1, 1),
               (2, 2, 2), (2, 0, 2), (0, 0, 2)]
# By hand, per group: class -> (test images, recall %); classes not listed
# have no image in the group.
GROUPED_BY_HAND = {
    0: {0: (2, 50.0), 1: (1, 100.0)},
    1: {0: (1, 100.0), 1: (3, 200 / 3)},
    2: {0: (1, 100.0), 2: (2, 50.0)},
}


def _grouped_samples():
    samples = []
    for gt, pred, group in GROUPED_SET:
        sample = {'pred_score': torch.eye(3)[pred],
                  'gt_label': torch.tensor([gt])}
        sample['group_id'] = 0 if group is None else group
        samples.append(sample)
    return samples


def test_class_by_group_view(logger, tmp_path):
    metric = LongTailMetric(topk=1, per_class_in_results=True,
                            save_per_class=True, out_dir=str(tmp_path))
    metric.dataset_meta = {'classes': ['zero', 'one', 'two']}
    res = evaluate(metric, _grouped_samples())

    gt, pred, group = (np.array([np.nan if v is None else v for v in col])
                       for col in zip(*GROUPED_SET))
    group = np.nan_to_num(group, nan=0).astype(int)
    for g, by_class in GROUPED_BY_HAND.items():
        listed = res[f'group{g}_per_class_recall']
        keep = group == g
        sk = 100 * recall_score(gt[keep], pred[keep], labels=[0, 1, 2],
                                average=None, zero_division=0)
        for c in range(3):
            if c in by_class:
                assert listed[c] == pytest.approx(by_class[c][1])
                assert listed[c] == pytest.approx(sk[c])
            else:
                assert math.isnan(listed[c])
    assert 'group3_per_class_recall' not in res

    with open(tmp_path / 'per_class.csv') as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames[-6:] == [
            'group0_test_count', 'group0_recall', 'group1_test_count',
            'group1_recall', 'group2_test_count', 'group2_recall'
        ]
        rows = list(reader)
    payload = json.loads((tmp_path / 'per_class.json').read_text())
    for c in range(3):
        for g, by_class in GROUPED_BY_HAND.items():
            csv_count = rows[c][f'group{g}_test_count']
            csv_recall = rows[c][f'group{g}_recall']
            json_row = payload['per_class'][c]
            if c in by_class:
                count, recall = by_class[c]
                assert int(csv_count) == json_row[f'group{g}_test_count'] \
                    == count
                assert float(csv_recall) == pytest.approx(recall)
                assert json_row[f'group{g}_recall'] == pytest.approx(recall)
            else:  # no image of the class in the group
                assert (csv_count, csv_recall) == ('0', '')
                assert json_row[f'group{g}_test_count'] == 0
                assert json_row[f'group{g}_recall'] is None

    report = next(m for m in logger.infos if 'Long-tail' in m)
    table = report[report.index('Per-class recall by group'):].splitlines()
    assert table[1].split() == ['idx', 'class', 'group', '0', 'group', '1',
                                'group', '2']
    assert table[3].split() == ['0', 'zero', '50.00', '(2)', '100.00', '(1)',
                                '100.00', '(1)']
    assert table[4].split() == ['1', 'one', '100.00', '(1)', '66.67', '(3)',
                                '-']
    assert table[5].split() == ['2', 'two', '-', '-', '50.00', '(2)']


def test_class_by_group_view_without_groups(logger):
    # No sample has a group_id: one group (0), equal to the whole set, so
    # the report prints no group table.
    scores, labels, _ = random_data(num=40)
    res = evaluate(LongTailMetric(per_class_in_results=True),
                   make_samples(scores, labels))
    recall = np.array(res['per_class_recall'])
    present = np.bincount(labels, minlength=NUM_CLASSES) > 0
    np.testing.assert_allclose(
        np.array(res['group0_per_class_recall'])[present], recall[present])
    assert [k for k in res if k.endswith('per_class_recall')] == [
        'per_class_recall', 'group0_per_class_recall'
    ]
    report = next(m for m in logger.infos if 'Long-tail' in m)
    assert 'recall by group' not in report


def test_worst_class_f1_and_per_class_f1_std_by_hand(logger):
    # gt 0 0 1 1 2, pred 0 1 1 1 0; class 3 has no test image.
    # F1 = 2 TP / (support + predicted): class 0: 2/4, class 1: 4/5,
    # class 2: 0/1; class 3 is not validated and left out.
    labels = np.array([0, 0, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 0])
    scores = np.eye(4, dtype=np.float32)[pred]
    res = evaluate(LongTailMetric(topk=1, print_report=False),
                   make_samples(scores, labels))
    assert res['macro_f1'] == pytest.approx((50 + 80 + 0) / 3)
    assert res['worst_class_f1'] == pytest.approx(0.0)
    # population std of (50, 80, 0): sqrt(sum (f - 130/3)^2 / 3); the
    # sample std (divided by 2) would be 40.41
    assert res['per_class_f1_std'] == pytest.approx(32.99831645537222)
    # every earlier key is still there
    for key in ('top1', 'balanced_accuracy', 'macro_f1', 'weighted_f1',
                'worst_class_accuracy', 'worst_class', 'num_not_validated'):
        assert key in res, key
    # all right: worst F1 100, no spread
    res = evaluate(LongTailMetric(topk=1, print_report=False),
                   make_samples(np.eye(4, dtype=np.float32)[labels], labels))
    assert res['worst_class_f1'] == 100 and res['per_class_f1_std'] == 0


def test_shot_bins_from_given_counts_not_the_training_counts(logger):
    """``shot_bin_counts`` defines the bins of a model trained on another
    draw (the balanced oracle against the long-tailed protocol): the bins
    are those of the given counts, whatever training counts the hook hands
    over, which still fill the per-class training column."""
    from mmlt.datasets import long_tail_counts
    from mmlt.structures import LongTailContext
    num = 10
    profile = dict(num_classes=num, max_count=1000, imbalance_ratio=100,
                   profile='exp')
    labels = np.repeat(np.arange(num), 4)
    pred = labels.copy()
    pred[labels >= 5] = 0  # the last five classes all wrong
    scores = np.eye(num, dtype=np.float32)[pred]
    samples = make_samples(scores, labels)
    balanced = [248] * num
    by_profile = LongTailMetric(shot_bin_counts=profile, print_report=False,
                                per_class_in_results=True)
    by_list = LongTailMetric(
        shot_bin_counts=long_tail_counts(**profile).tolist(),
        print_report=False)
    for metric in (by_profile, by_list):
        metric.set_long_tail_context(LongTailContext(balanced))
        np.testing.assert_array_equal(metric.class_counts, balanced)
        res = evaluate(metric, samples)
        # 1000 599 359 215 129 | 77 46 27 | 16 10: the protocol's bins
        assert (res['num_many'], res['num_medium'], res['num_few']) == \
            (5, 3, 2)
        assert res['many_shot'] == 100.0
        assert res['medium_shot'] == 0.0 and res['few_shot'] == 0.0
    # the training counts alone would put every class in one bin
    plain = LongTailMetric(class_counts=balanced, print_report=False)
    res = evaluate(plain, samples)
    assert res['num_many'] == num and math.isnan(res['few_shot'])


def test_shot_bin_counts_refuses_bad_values(logger):
    with pytest.raises(ValueError, match=r"unknown: \['seed'\]"):
        LongTailMetric(shot_bin_counts=dict(
            num_classes=10, max_count=1000, imbalance_ratio=100, seed=0))
    with pytest.raises(ValueError, match=r"missing: \['max_count'\]"):
        LongTailMetric(shot_bin_counts=dict(num_classes=10,
                                            imbalance_ratio=100))
    with pytest.raises(ValueError, match='shot_bin_counts: imbalance_ratio'):
        LongTailMetric(shot_bin_counts=dict(
            num_classes=10, max_count=1000, imbalance_ratio=0.5))
    with pytest.raises(ValueError, match='shot_bin_counts must be non-neg'):
        LongTailMetric(shot_bin_counts=[10, -1, 3])
    metric = LongTailMetric(shot_bin_counts=[100, 10], print_report=False)
    scores, labels, _ = random_data()
    with pytest.raises(ValueError, match='shot_bin_counts has 2 entries but '
                       'the scores have 7 classes'):
        evaluate(metric, make_samples(scores, labels))
