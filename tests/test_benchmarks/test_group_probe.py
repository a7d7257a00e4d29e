import numpy as np
import pytest

from benchmarks import group_probe


def _split(n_images, shift, seed, noise=0.3):
    """Every image twice (group 0, group 1) with the same file name: class
    centres in 8 dims, group 1's copy moved by ``shift`` along dim 7."""
    rng = np.random.default_rng(seed)
    centres = np.eye(8)[:4] * 4
    labels = rng.integers(0, 4, n_images)
    base = centres[labels] + noise * rng.standard_normal((n_images, 8))
    copy = base + noise * rng.standard_normal((n_images, 8))
    copy[:, 7] += shift
    copy[:, 0] -= shift * (labels == 0)  # group 1 loses class 0's mark
    names = [f'{i:05d}.png' for i in range(n_images)]
    return dict(feats=np.concatenate([base, copy]),
                labels=np.concatenate([labels, labels]),
                groups=np.array([0] * n_images + [1] * n_images),
                names=names + names)


def test_copies_that_look_alike_give_no_group_and_no_gap():
    scores = group_probe.probe_scores(_split(200, 0.0, 0),
                                      _split(400, 0.0, 1))
    assert 35 < scores['group_probe'] < 65
    assert scores['copy_cosine'] > 0.95
    assert abs(scores['class_probe_gap']) < 5


def test_copies_moved_apart_are_told_apart_and_transfer_less():
    same = group_probe.probe_scores(_split(200, 0.0, 0), _split(400, 0.0, 1))
    moved = group_probe.probe_scores(_split(200, 4.0, 0),
                                     _split(400, 4.0, 1))
    assert moved['group_probe'] > 95
    assert moved['copy_cosine'] < same['copy_cosine'] - 0.2
    # class 0 of group 1 no longer looks like class 0 of group 0
    assert moved['class_probe_gap'] > same['class_probe_gap'] + 15
    assert moved['class_probe_gap'] == pytest.approx(
        moved['class_probe_g0'] - moved['class_probe_g1'])


def test_copy_pairs_match_by_name_and_refuse_bad_groups():
    i0, i1 = group_probe.copy_pairs(['b.png', 'a.png', 'a.png', 'c.png'],
                                    np.array([0, 1, 0, 1]))
    assert i0.tolist() == [2] and i1.tolist() == [1]
    with pytest.raises(ValueError, match='group_id 2'):
        group_probe.copy_pairs(['a.png', 'a.png'], np.array([0, 2]))
    with pytest.raises(ValueError, match="'a.png' twice in group 0"):
        group_probe.copy_pairs(['a.png', 'a.png'], np.array([0, 0]))
    with pytest.raises(ValueError, match='no image has both'):
        group_probe.copy_pairs(['a.png', 'b.png'], np.array([0, 1]))


def test_render_compares_multitask_with_its_case_baseline():
    def runs(value):
        return [{key: value + d for key, _, _ in group_probe.FIGURES}
                for d in (-0.1, 0.0, 0.1)]
    text = group_probe.render({'ce-rare': runs(40.0),
                               'multitask-rare': runs(30.0)})
    assert '| ce-rare | 40.00 ± 0.10 (3)' in text
    assert 'multitask-rare − ce-rare:' in text
    assert '- class probe, group 1: -10.00 (pooled std 0.10): beyond ' \
        'noise.' in text


def test_row_without_checkpoints_is_named(tmp_path):
    # a finished run whose checkpoint is gone (records keep none)
    run = tmp_path / 'converged' / 'ce-rare' / 'seed0'
    run.mkdir(parents=True)
    results = {'ce-rare': {0: dict(run_dir=str(run))}}
    with pytest.raises(FileNotFoundError, match='ce-rare: no finished run'):
        group_probe.row_runs(results, str(tmp_path / 'converged'), 'ce-rare')
    # a row with no finished run at all
    with pytest.raises(FileNotFoundError, match='multitask-rare: no finished'):
        group_probe.row_runs(results, str(tmp_path / 'converged'),
                             'multitask-rare')
    (run / 'last_checkpoint').write_text('epoch_60.pth')
    assert group_probe.row_runs(results, str(tmp_path / 'converged'),
                                'ce-rare') == [str(run)]
