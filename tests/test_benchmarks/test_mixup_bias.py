import csv
import json

import pytest

from benchmarks import mixup_bias as mb

# class: (shot bin, test images)
CLASSES = (('big', 'many', 100), ('mid', 'medium', 100), ('tiny', 'few', 100))


def _per_class(d, recall_precision):
    with open(d / 'per_class.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, ['class_index', 'class_name', 'shot',
                               'test_count', 'precision', 'recall'])
        w.writeheader()
        for i, ((name, shot, n), (rec, prec)) in enumerate(
                zip(CLASSES, recall_precision)):
            w.writerow(dict(class_index=i, class_name=name, shot=shot,
                            test_count=n, precision=prec, recall=rec))


def test_prediction_shares_from_recall_and_precision(tmp_path):
    # predicted: 90/60 x 100 = 150, 60/60 x 100 = 100, 40/80 x 100 = 50
    _per_class(tmp_path, [(90.0, 60.0), (60.0, 60.0), (40.0, 80.0)])
    shares = mb.prediction_shares(str(tmp_path))
    assert shares == pytest.approx(dict(many=50.0, medium=100 / 3,
                                        few=50 / 3))
    assert mb.image_shares(str(tmp_path)) == pytest.approx(
        dict(many=100 / 3, medium=100 / 3, few=100 / 3))
    _per_class(tmp_path, [(90.0, 60.0), (60.0, 60.0), (0.0, 0.0)])
    with pytest.raises(ValueError, match="class 'tiny' has no recognised"):
        mb.prediction_shares(str(tmp_path))


def _run(tmp_path, row, seed, balanced, few_recall, trained):
    d = tmp_path / row / f'seed{seed}'
    d.mkdir(parents=True)
    _per_class(d, [(90.0, 60.0), (60.0, 60.0), (few_recall, 80.0)])
    metrics = {'long_tail/balanced_accuracy': balanced + seed / 10,
               'long_tail/many_shot': 90.0,
               'long_tail/medium_shot': 60.0,
               'long_tail/few_shot': few_recall + seed / 10}
    # a test-only run's result names the config's epochs too
    result = dict(run_dir=str(d), epochs=60, metrics=metrics)
    if not trained:
        return result
    (d / 'stamp' / 'vis_data').mkdir(parents=True)
    lines = [dict(loss=1.0, epoch=1, iter=1, step=1)]
    lines += [{'long_tail/balanced_accuracy': balanced, 'step': e}
              for e in (10, 20, 30, 60)]
    (d / 'stamp' / 'vis_data' / 'scalars.json').write_text(
        '\n'.join(json.dumps(x) for x in lines))
    return result


def _results(tmp_path, rows):
    return {row: {s: _run(tmp_path, row, s, bal, few, row in ('ce', 'mixup'))
                  for s in (0, 1, 2)}
            for row, (bal, few) in rows.items()}


def _section(tmp_path, mixup_posthoc_la):
    """ce 80 -> 84 with the adjustment, mixup 74 -> ``mixup_posthoc_la``
    (balanced, few-shot recall)."""
    return mb.render(_results(tmp_path, {
        'ce': (80.0, 40.0), 'ce-posthoc-la': (84.0, 60.0),
        'mixup': (74.0, 20.0), 'mixup-posthoc-la': mixup_posthoc_la}))


def test_section_separates_the_prior_shift_from_the_rest(tmp_path):
    body = _section(tmp_path, (84.0, 60.0))
    assert '| mixup | 74.10 ± 0.10 (3) | -6.00 (beyond noise)' in body
    assert '| test images | 33.3 | 33.3 | 33.3 |' in body
    # few-shot recall 40 -> 20: predicted 50 -> 25 of 275 images
    assert '| ce | 50.0 ± 0.0 | 33.3 ± 0.0 | 16.7 ± 0.0 |' in body
    assert '| mixup | 54.5 ± 0.0 | 36.4 ± 0.0 | 9.1 ± 0.0 |' in body
    assert '- few-shot share of the predictions, mixup − ce: -7.6' in body
    assert ('- mixup on cross-entropy, both logit-adjusted (mixup-posthoc-la '
            '− ce-posthoc-la): few-shot +0.00 (within noise), balanced '
            '+0.00 (within noise).') in body
    assert "what it loses is a prior-shaped shift of its classifier" in body
    # test-only rows have no training curve
    assert '| mixup | 74.00 | 74.00 | 74.00 | 74.00 |' in body
    assert '| mixup-posthoc-la | ' not in body.split('held-out')[1]


def test_section_says_when_more_than_the_shift_is_lost(tmp_path):
    body = _section(tmp_path, (78.0, 50.0))
    assert 'With the prior taken out (-6.00 balanced' in body
    assert 'worse on this data and schedule even with the shift' in body
    assert ('of mixup\'s -6.00 balanced on cross-entropy, +0.00 is the extra '
            'shift of its classifier to the head and -6.00 what is left') \
        in body


def test_section_refuses_rows_short_of_seeds(tmp_path):
    results = _results(tmp_path, {
        'ce': (80.0, 40.0), 'ce-posthoc-la': (84.0, 60.0),
        'mixup': (74.0, 20.0)})
    with pytest.raises(FileNotFoundError, match=r'mixup-posthoc-la \(0\).*'
                       'lt-bag-of-tricks'):
        mb.render(results)
