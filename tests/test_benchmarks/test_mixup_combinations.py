"""The mixup-combinations section: whether mixup's loss on top of a
prior-corrected loss is a prior shift or mixup's own cost on the classes
it costs on balanced data."""
import csv

import pytest

from benchmarks import mixup_combinations as mc

# class: (shot bin, training images on the long tail)
CLASSES = (('big', 'many', 1000), ('mid', 'medium', 100),
           ('small', 'few', 10), ('tiny', 'few', 5))


def _run(tmp_path, row, seed, recalls, precisions=(80.0, 80.0, 80.0, 80.0)):
    d = tmp_path / row / f'seed{seed}'
    d.mkdir(parents=True)
    with open(d / 'per_class.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, ['class_index', 'class_name', 'shot',
                               'train_count', 'test_count', 'precision',
                               'recall'])
        w.writeheader()
        for i, ((name, shot, n), rec, prec) in enumerate(
                zip(CLASSES, recalls, precisions)):
            w.writerow(dict(class_index=i, class_name=name, shot=shot,
                            train_count=n, test_count=100, precision=prec,
                            recall=rec + seed / 10))
    bal = sum(recalls) / len(recalls) + seed / 10
    metrics = {mc.BALANCED: bal, 'long_tail/many_shot': recalls[0],
               'long_tail/medium_shot': recalls[1],
               'long_tail/few_shot': (recalls[2] + recalls[3]) / 2 + seed}
    return dict(run_dir=str(d), epochs=60, metrics=metrics)


def _results(tmp_path, rows):
    return {row: {s: _run(tmp_path, row, s, *spec) for s in (0, 1, 2)}
            for row, spec in rows.items()}


def _rows(la_mixup_recalls, la_mixup_precision=(80.0, 80.0, 80.0, 80.0)):
    return {
        'oracle': ((90.0, 90.0, 90.0, 90.0), ),
        # mixup costs 'mid' and 'tiny' on balanced data
        'oracle-mixup': ((90.0, 86.0, 90.0, 88.0), ),
        'ce': ((95.0, 70.0, 40.0, 30.0), (60.0, 80.0, 90.0, 90.0)),
        'logit-adjusted': ((90.0, 80.0, 70.0, 60.0), ),
        'logit-adjusted-mixup': (la_mixup_recalls, la_mixup_precision),
    }


def test_class_changes_and_cost_ratio(tmp_path):
    results = _results(tmp_path, _rows((90.0, 72.0, 70.0, 56.0)))
    base = mc.class_changes(results, mc.ORACLE_PAIR)
    assert base == pytest.approx(dict(big=0.0, mid=-4.0, small=0.0,
                                      tiny=-2.0))
    la = mc.class_changes(results, ('logit-adjusted',
                                    'logit-adjusted-mixup'))
    # the long tail loses (8 + 4) on the classes balanced data loses 6 on
    assert mc.cost_ratio(base, la) == pytest.approx(2.0)
    assert mc.cost_ratio({'a': 1.0}, {'a': -3.0}) is None


# precisions that keep each class predicted as often as logit-adjusted's
# (recall x 100 / precision): the prior did not move
SAME_PREDICTIONS = (80.0, 72.0, 80.0, 56 / 0.75)


def test_section_explains_a_loss_on_the_same_classes(tmp_path):
    body = mc.render(_results(tmp_path, _rows((90.0, 72.0, 70.0, 56.0),
                                              SAME_PREDICTIONS)))
    assert '| oracle → oracle-mixup | 90.10 ± 0.10 | 88.60 ± 0.10 |' in body
    assert '| mid | 100 | -4.0 | -8.0 |' in body
    assert 'Pearson r = +1.00' in body
    assert 'the long tail loses 2.0× as much' in body
    assert 'So the prior correction holds on mixed targets' in body
    assert 'Not run yet: balanced-softmax → balanced-softmax-mixup, ' \
        'ce → mixup.' in body


def test_section_does_not_explain_a_head_shift(tmp_path):
    # the combination's head class is predicted far more often (precision
    # down), and it loses classes mixup leaves alone on balanced data
    body = mc.render(_results(tmp_path, _rows(
        (90.0, 84.0, 60.0, 64.0), (40.0, 80.0, 80.0, 80.0))))
    assert 'So the prior correction holds' not in body
    assert 'Not one explanation for every pair' in body


def test_section_waits_for_the_oracle_pair(tmp_path):
    rows = _rows((90.0, 72.0, 70.0, 56.0))
    del rows['oracle-mixup']
    body = mc.render(_results(tmp_path, rows))
    assert body.count('|') == 0
    assert 'Not run yet (each pair needs both rows with 3 seeds): ' \
        'oracle → oracle-mixup' in body


def test_runs_naming_different_classes_are_refused(tmp_path):
    results = _results(tmp_path, _rows((90.0, 72.0, 70.0, 56.0)))
    run = results['oracle'][1]['run_dir'] + '/per_class.csv'
    text = open(run).read().replace('tiny', 'other')
    open(run, 'w').write(text)
    with pytest.raises(ValueError, match="oracle: its runs name different"):
        mc.class_recalls(results, 'oracle')
