"""benchmarks/bench_label_issues.py: the flips it injects, the scores it
computes and the section it writes (out-of-fold source: LogisticRegression;
the k-fold driver source is not run here)."""

import numpy as np
import pytest

from benchmarks import bench_label_issues as bench

pytestmark = pytest.mark.usefixtures('one_thread')


def test_flips_move_exactly_rate_times_n_labels_to_another_class():
    labels = np.arange(200) % 10
    noisy, flips = bench.flip_labels(labels, 0.05, 10, seed=3)
    assert len(flips) == 10 and len(set(flips.tolist())) == 10
    np.testing.assert_array_equal(np.flatnonzero(noisy != labels), flips)
    again, _ = bench.flip_labels(labels, 0.05, 10, seed=3)
    np.testing.assert_array_equal(noisy, again)
    with pytest.raises(ValueError, match='rate=1.5 must be in'):
        bench.flip_labels(labels, 1.5, 10, seed=0)


def test_top_k_scores():
    flips = np.array([3, 7, 9, 11])
    assert bench.top_k_scores([3, 5, 7, 9, 11], flips, 4) == dict(
        precision=75.0, recall=75.0, returned=5.0)
    # fewer rows than K: precision over what was returned
    assert bench.top_k_scores([3, 5], flips, 4) == dict(
        precision=50.0, recall=25.0, returned=2.0)


def test_writes_its_section_with_the_command(tmp_path):
    out = tmp_path / 'benchmarks.md'
    out.write_text('# page\n\nkept text\n')
    assert bench.main(['--rates', '0.1', '--seeds', '0', '--folds', '3',
                       '--work-dir', str(tmp_path / 'work'),
                       '--out', str(out)]) == 0
    text = out.read_text()
    assert 'kept text' in text
    section = text.split('<!-- bench:label-issues:start -->')[1].split(
        '<!-- bench:label-issues:end -->')[0]
    rows = [line for line in section.splitlines()
            if line.startswith('| logreg | 10% | 54 | 1 |')]
    assert [row.split(' | ')[4] for row in rows] == list(bench.ROWS)
    # cleanlab on a decent model finds most flips on digits
    precision = float(rows[0].split(' | ')[5])
    assert precision > 60
    assert 'python -m benchmarks.bench_label_issues --rates 0.1 --seeds 0' \
        in section
