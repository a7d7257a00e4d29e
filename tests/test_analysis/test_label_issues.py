"""The label-issue finder's logic: cleanlab on an out-of-fold file that
follows the k-fold driver's contract returns the injected flips first; the
robust z-score against hand computations; the CSV reads back into the
dataset's reader; a missing cleanlab says how to install it."""
import sys

import numpy as np
import pytest

from mmlt.analysis import label_issues as li
from mmlt.datasets.label_issue_filter import read_label_issue_file

CLASSES = np.array(['ant', 'bee', 'cow', 'dog', 'eel'])


def make_oof(path, n=400, num_flips=20, num_unvalidated=6, seed=0):
    """An ``oof_predictions.npz`` by the contract: a model that puts
    0.95-0.97 on the true class and spreads the rest at random (an easy
    case: the flips into a class pull its confident-learning threshold, the
    class's mean probability, below 0.95); ``num_flips`` given labels
    flipped; the first ``num_unvalidated`` rows never validated (fold -1,
    NaN row)."""
    rng = np.random.default_rng(seed)
    c = len(CLASSES)
    true = rng.integers(0, c, n)
    p_true = rng.uniform(0.95, 0.97, n)
    rest = rng.dirichlet(np.ones(c - 1), n) * (1 - p_true)[:, None]
    probs = np.empty((n, c))
    for i in range(n):
        probs[i] = np.insert(rest[i], true[i], p_true[i])
    given = true.copy()
    flips = rng.choice(np.arange(num_unvalidated, n), num_flips,
                       replace=False)
    given[flips] = (true[flips] + rng.integers(1, c, num_flips)) % c
    fold = rng.integers(0, 5, n)
    fold[:num_unvalidated] = -1
    probs[:num_unvalidated] = np.nan
    np.savez(path, probs=probs.astype(np.float32),
             gt_label=given.astype(np.int64),
             group_id=(np.arange(n) % 3).astype(np.int64),
             fold=fold.astype(np.int64),
             index=(np.arange(n) + 1000).astype(np.int64),
             filename=np.array([f'img_{i:04d}.png' for i in range(n)]),
             classes=CLASSES)
    return flips, true, given


def test_confident_learning_ranks_the_injected_flips_first(tmp_path):
    path = tmp_path / 'oof_predictions.npz'
    flips, true, given = make_oof(path)
    oof = li.load_oof_predictions(str(path))
    rows, summary = li.oof_label_issues(oof)
    top = [r['index'] - 1000 for r in rows[:len(flips)]]
    assert sorted(top) == sorted(flips.tolist())
    assert len(rows) == len(flips)  # and nothing else
    assert summary['num_unvalidated'] == 6
    assert summary['num_validated'] == 394
    assert sum(summary['unvalidated_classes'].values()) == 6
    assert all(r['index'] - 1000 >= 6 for r in rows)  # NaN rows left out
    assert [r['rank'] for r in rows] == list(range(1, len(rows) + 1))
    conf = [r['self_confidence'] for r in rows]
    assert conf == sorted(conf)  # ranked by self-confidence, lowest first
    first = rows[0]
    pos = first['index'] - 1000
    assert first['filename'] == f'img_{pos:04d}.png'
    assert first['given_label'] == given[pos]
    assert first['given_class'] == CLASSES[given[pos]]
    assert first['suggested_label'] == true[pos]  # argmax is the truth here
    assert first['self_confidence'] == pytest.approx(
        float(oof.probs[pos, given[pos]]))
    assert first['group_id'] == pos % 3 and first['fold'] == oof.fold[pos]


@pytest.mark.parametrize('change, message', [
    (lambda d: d.pop('fold'), r"missing key\(s\) \['fold'\]"),
    (lambda d: d['fold'].__setitem__(0, 2), r'row\(s\) \[0\] break the '
     'contract'),
    (lambda d: d['gt_label'].__setitem__(9, 5), r'gt_label out of 0..4 at '
     r'row\(s\) \[9\]'),
    (lambda d: d.update(classes=CLASSES[:4]), r'classes must have shape '
     r'\(5,\)'),
    (lambda d: d.update(gt_label=d['gt_label'].astype(np.float32)),
     'gt_label must be an integer'),
    (lambda d: d['probs'].__setitem__(9, 0.5), 'must be probabilities'),
])
def test_broken_oof_files_are_refused_naming_the_key(tmp_path, change,
                                                     message):
    path = tmp_path / 'oof.npz'
    make_oof(path, n=60, num_flips=3, num_unvalidated=2)
    data = dict(np.load(path))
    change(data)
    np.savez(path, **data)
    with pytest.raises(ValueError, match=message):
        li.load_oof_predictions(str(path))


def test_robust_zscores_by_hand():
    values = np.array([1, 2, 3, 4, 100,  # class 0: median 3, MAD 1
                       5, 5, 5, 5, 5,  # class 1: all equal
                       2, 2, 2, 2, 2, 2, 10,  # class 2: MAD 0, meanAD 8/7
                       7, 8, 9])  # class 3: too small for min_count=5
    labels = np.array([0] * 5 + [1] * 5 + [2] * 7 + [3] * 3)
    z, median = li.robust_zscores(values, labels, min_count=5)
    np.testing.assert_allclose(z[:5], 0.6745 * np.array([-2, -1, 0, 1, 97]))
    np.testing.assert_array_equal(z[5:10], 0)
    np.testing.assert_allclose(z[10:17], [0] * 6 + [8 / (1.2533 * 8 / 7)])
    assert np.isnan(z[17:]).all()
    np.testing.assert_array_equal(median, [3] * 5 + [5] * 5 + [2] * 7 +
                                  [8] * 3)
    with pytest.raises(ValueError, match='min_count=0 must be a positive'):
        li.robust_zscores(values, labels, min_count=0)


def test_loss_outliers_ranked_by_robust_z():
    # class 0: 8 images near p=0.9, one at 0.01 (z huge), one at 0.5
    p = np.array([0.9, 0.92, 0.88, 0.9, 0.91, 0.89, 0.9, 0.9, 0.01, 0.5,
                  # class 1: 6 images, one at 0.2
                  0.8, 0.81, 0.79, 0.8, 0.8, 0.2,
                  # class 2: 2 images (below min_count), one at 0.001
                  0.9, 0.001])
    labels = np.array([0] * 10 + [1] * 6 + [2] * 2)
    suggested = np.where(p < 0.5, (labels + 1) % 3, labels)
    rows, summary = li.loss_outlier_issues(
        np.arange(18), [f'{i}.png' for i in range(18)], labels, p, suggested,
        np.zeros(18, int), ['x', 'y', 'z'])
    loss = -np.log(p)
    z, _ = li.robust_zscores(loss, labels)
    expected = [i for i in np.argsort(-np.nan_to_num(z, nan=-np.inf))
                if z[i] > 3.5]
    assert [r['index'] for r in rows] == expected
    assert {8, 9, 15} == set(expected)  # 17 is in a class too small
    assert rows[0]['loss'] == pytest.approx(-np.log(0.01))
    assert rows[0]['class_median_loss'] == pytest.approx(
        np.median(loss[:10]))
    assert summary['unscored_classes'] == {'z': 2}
    assert summary['num_issues'] == 3


def test_csv_reads_back_into_the_dataset_reader(tmp_path):
    path = tmp_path / 'oof.npz'
    make_oof(path, n=100, num_flips=5, num_unvalidated=0)
    rows, _ = li.oof_label_issues(li.load_oof_predictions(str(path)))
    csv_path = li.write_issue_csv(rows, str(tmp_path / 'issues.csv'))
    back = read_label_issue_file(csv_path, action='relabel', top=3)
    assert [(b['rank'], b['index'], b['filename'], b['given_label'],
             b['suggested_label'], b['given_class']) for b in back] == [
                 (r['rank'], r['index'], r['filename'], r['given_label'],
                  r['suggested_label'], r['given_class']) for r in rows[:3]]
    table = li.markdown_table(rows, top=2, score='label_quality')
    assert len(table.splitlines()) == 4 and rows[1]['filename'] in table


def test_missing_cleanlab_says_how_to_install(monkeypatch):
    for name in [m for m in sys.modules if m.startswith('cleanlab')]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, 'cleanlab', None)
    with pytest.raises(ImportError, match=r"pip install 'mmlt\[noise\]'"):
        li.confident_learning_issues(np.eye(2), np.array([0, 1]))


def test_bad_arguments():
    with pytest.raises(ValueError, match="rank_by='margin' is not one of"):
        li.confident_learning_issues(np.eye(2), np.array([0, 1]),
                                     rank_by='margin')
    with pytest.raises(ValueError, match='threshold=nan must be a finite'):
        li.loss_outlier_issues([0], ['a'], [0], [0.5], [0], [0], ['a'],
                               threshold=float('nan'))
