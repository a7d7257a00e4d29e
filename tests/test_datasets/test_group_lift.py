"""The group-lift data generator: the protocol's splits, the stratified
group-1 draw, the two styles, the paired validation/test rows, byte-identical
output from a seed, and the errors."""
import os
import os.path as osp

import numpy as np
import pytest

from mmlt.datasets import group_lift as gl
from mmlt.datasets.lt_profiles import (long_tail_counts,
                                       sample_long_tail_indices)

from data_helpers import needs_fashion_mnist

from .group_lift_helpers import write_fake_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FASHION_MNIST = osp.join(ROOT, 'data', 'fashion_mnist')
# the protocol's long-tailed class sizes (fashion_mnist_lt1k_bs128.py)
LT_COUNTS = [1000, 599, 359, 215, 129, 77, 46, 27, 16, 10]


@pytest.fixture(scope='module')
def fake_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('fashion_mnist')
    write_fake_fashion_mnist(root)
    return str(root)


def _tree(folder):
    """Every file under ``folder``: relative path -> bytes."""
    out = {}
    for base, _, files in os.walk(folder):
        for name in files:
            path = osp.join(base, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, folder)] = f.read()
    return out


# ------------------------------------------------------------ pure functions
def test_group1_counts_round_half_up_with_one_per_class():
    assert gl.group1_counts(LT_COUNTS, 0.1).tolist() == [
        100, 60, 36, 22, 13, 8, 5, 3, 2, 1]
    assert gl.group1_counts(LT_COUNTS, 0.3).tolist() == [
        300, 180, 108, 65, 39, 23, 14, 8, 5, 3]
    # at least one per class, never more than the class has
    assert gl.group1_counts([10, 1, 0], 0.01).tolist() == [1, 1, 0]
    assert gl.group1_counts([4], 0.99).tolist() == [4]


@pytest.mark.parametrize('fraction', [0, 1, -0.1, 1.5, True, '0.1', None])
def test_fraction_outside_open_interval_is_refused(fraction):
    with pytest.raises(ValueError, match=r'must be a number in \(0, 1\)'):
        gl.group1_counts(LT_COUNTS, fraction)


def test_choose_group1_is_stratified_and_seeded():
    labels = np.repeat(np.arange(10), LT_COUNTS)
    np.random.RandomState(1).shuffle(labels)
    groups = gl.choose_group1(labels, 0.1, seed=0)
    per_class = [int(groups[labels == c].sum()) for c in range(10)]
    assert per_class == gl.group1_counts(LT_COUNTS, 0.1).tolist()
    np.testing.assert_array_equal(groups,
                                  gl.choose_group1(labels, 0.1, seed=0))
    assert (groups != gl.choose_group1(labels, 0.1, seed=1)).any()


def test_protocol_splits_are_the_long_tail_draw():
    labels = np.tile(np.arange(10), 1100)
    train, val = gl.protocol_splits(labels)
    np.testing.assert_array_equal(
        train, sample_long_tail_indices(
            labels, long_tail_counts(10, 1000, 100), 0))
    assert np.bincount(labels[train]).tolist() == LT_COUNTS
    assert np.bincount(labels[val]).tolist() == [100] * 10
    assert not set(train) & set(val)


def test_rare_style_is_a_rotation_of_the_same_image():
    img = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    styled = gl.style_image(img, 'rare', 0, 'train', 3)
    np.testing.assert_array_equal(styled, np.rot90(img))
    assert styled.dtype == np.uint8 and styled.flags['C_CONTIGUOUS']
    # as easy: the same pixels, rearranged
    assert sorted(styled.ravel()) == sorted(img.ravel())


def test_degraded_style_is_deterministic_per_image_and_harder():
    rng = np.random.RandomState(0)
    img = np.zeros((28, 28), np.uint8)
    img[6:22, 8:20] = rng.randint(150, 256, (16, 12))
    a = gl.style_image(img, 'degraded', 0, 'train', 5)
    np.testing.assert_array_equal(a, gl.style_image(img, 'degraded', 0,
                                                    'train', 5))
    # another image index, source or seed draws other noise
    for other in ((0, 'train', 6), (0, 'test', 5), (1, 'train', 5)):
        assert (a != gl.style_image(img, 'degraded', *other)).any()
    assert a.dtype == np.uint8 and a.shape == img.shape
    # less contrast between garment and background than the original
    inside, outside = a[6:22, 8:20].mean(), a[:, :4].mean()
    assert 0 < inside - outside < 0.6 * (img[6:22, 8:20].mean() - 0)


def test_gaussian_blur_keeps_constants_and_mass():
    flat = np.full((28, 28), 7.0)
    np.testing.assert_allclose(gl.gaussian_blur(flat, 1.0), flat)
    dot = np.zeros((28, 28))
    dot[14, 14] = 1.0
    blurred = gl.gaussian_blur(dot, 1.0)
    assert blurred.sum() == pytest.approx(1.0)
    assert blurred[14, 14] < 0.2 and blurred[14, 15] == blurred[15, 14]


def test_unknown_case_is_refused():
    with pytest.raises(ValueError, match="case 'noisy' is not one of"):
        gl.style_image(np.zeros((28, 28), np.uint8), 'noisy', 0, 'train', 0)


def test_plan_rows_pairs_val_and_test_and_caps_as_a_prefix():
    train_labels = np.tile(np.arange(10), 1100)
    test_labels = np.tile(np.arange(10), 4)
    full = gl.plan_rows(train_labels, test_labels, 0.3, seed=0)
    assert len(full['train']) == sum(LT_COUNTS)
    assert sum(r['group_id'] for r in full['train']) == sum(
        gl.group1_counts(LT_COUNTS, 0.3))
    for split, n in (('val', 1000), ('test', 40)):
        rows = full[split]
        assert len(rows) == 2 * n
        # each image twice: group 0, then group 1
        assert [r['group_id'] for r in rows] == [0, 1] * n
        assert [r['index'] for r in rows[::2]] == [r['index']
                                                   for r in rows[1::2]]
        assert len({r['filename'] for r in rows}) == 2 * n
    capped = gl.plan_rows(train_labels, test_labels, 0.3, seed=0,
                          max_images=7)
    for split in ('train', 'val', 'test'):
        assert capped[split] == full[split][:len(capped[split])]
    assert [len(capped[s]) for s in ('train', 'val', 'test')] == [7, 14, 14]
    with pytest.raises(ValueError, match='max_images=0'):
        gl.plan_rows(train_labels, test_labels, 0.3, 0, max_images=0)


# ------------------------------------------------------------------ reading
def test_read_idx_errors_name_the_file(tmp_path):
    missing = str(tmp_path / 'train-images-idx3-ubyte')
    with pytest.raises(FileNotFoundError, match='train-images-idx3-ubyte'):
        gl.read_idx(missing)
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        gl.load_fashion_mnist(str(tmp_path))
    bad = tmp_path / 'bad'
    bad.write_bytes(b'PK\x03\x04zip')
    with pytest.raises(ValueError, match='not a uint8 idx file'):
        gl.read_idx(str(bad))
    short = tmp_path / 'short'
    short.write_bytes(bytes([0, 0, 8, 1]) + (10).to_bytes(4, 'big') + b'123')
    with pytest.raises(ValueError, match='truncated'):
        gl.read_idx(str(short))


# ------------------------------------------------------------------ writing
@pytest.mark.parametrize('case', gl.CASES)
def test_same_seed_same_bytes_and_reruns_are_skipped(fake_root, tmp_path,
                                                     case):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    manifest, written = gl.write_group_lift_data(
        a, case, seed=3, data_root=fake_root, max_images=6)
    assert written
    assert gl.write_group_lift_data(b, case, seed=3, data_root=fake_root,
                                    max_images=6)[1]
    tree = _tree(a)
    assert tree == _tree(b)
    # classes, 3 CSVs, manifest; 6 training and 2 x 6 val and test PNGs
    assert len(tree) == 5 + 6 + 12 + 12
    assert tree['train.csv'].startswith(b'filename,label,group_id\n')
    assert manifest['args']['group1_fraction'] == gl.DEFAULT_FRACTIONS[case]
    # the same data again: nothing written
    again, written = gl.write_group_lift_data(
        a, case, seed=3, data_root=fake_root, max_images=6)
    assert not written and again == manifest
    # a CSV changed by hand is regenerated
    with open(osp.join(a, 'val.csv'), 'a') as f:
        f.write('x.png,0,0\n')
    assert gl.write_group_lift_data(a, case, seed=3, data_root=fake_root,
                                    max_images=6)[1]
    assert _tree(a) == tree
    # another seed is refused in a folder holding seed 3, unless forced
    with pytest.raises(ValueError, match=r'seed: 3 there, 4 asked'):
        gl.write_group_lift_data(a, case, seed=4, data_root=fake_root,
                                 max_images=6)
    gl.write_group_lift_data(a, case, seed=4, data_root=fake_root,
                             max_images=6, force=True)
    assert _tree(a)['manifest.json'] != tree['manifest.json']


def test_group1_images_are_styled_and_group0_images_are_as_is(fake_root,
                                                              tmp_path):
    import cv2
    src = gl.load_fashion_mnist(fake_root)
    out = str(tmp_path / 'rare')
    gl.write_group_lift_data(out, 'rare', seed=0, data_root=fake_root,
                             max_images=50)
    rows = gl.plan_rows(src['train_labels'], src['test_labels'], 0.1, 0, 50)
    assert {r['group_id'] for r in rows['train']} == {0, 1}
    for split in ('train', 'test'):
        for r in rows[split]:
            img = cv2.imread(osp.join(out, 'images', r['filename']),
                             cv2.IMREAD_UNCHANGED)
            expected = src[f'{r["source"]}_images'][r['index']]
            if r['group_id']:
                expected = np.rot90(expected)
            np.testing.assert_array_equal(img, expected)


def test_written_csvs_load_as_group_annotation_dataset(fake_root, tmp_path):
    from mmlt.datasets import GroupAnnotationDataset
    out = str(tmp_path / 'degraded')
    manifest, _ = gl.write_group_lift_data(out, 'degraded', seed=0,
                                           data_root=fake_root,
                                           max_images=20)
    for split in ('train', 'val', 'test'):
        ds = GroupAnnotationDataset(
            ann_file=f'{split}.csv', data_root=out, data_prefix='images',
            classes='classes.txt', test_mode=split != 'train')
        assert ds.metainfo['classes'] == gl.FASHION_MNIST_CLASSES
        groups = ds.get_group_ids()
        labels = ds.get_gt_labels()
        for g in (0, 1):
            assert np.bincount(labels[groups == g], minlength=10).tolist() \
                == manifest['counts'][split][f'group{g}']


def test_bad_arguments_are_refused_before_reading(tmp_path):
    with pytest.raises(ValueError, match="case 'blurry'"):
        gl.write_group_lift_data(str(tmp_path), 'blurry')
    with pytest.raises(ValueError, match=r'fraction 1\.0 must be'):
        gl.write_group_lift_data(str(tmp_path), 'rare', fraction=1.0)
    with pytest.raises(FileNotFoundError, match='nowhere'):
        gl.write_group_lift_data(str(tmp_path), 'rare',
                                 data_root=str(tmp_path / 'nowhere'))


# ------------------------------------------------------- the real data set
@needs_fashion_mnist
def test_splits_are_those_of_the_protocol_config():
    from mmengine.registry import init_default_scope

    from mmlt.datasets import LongTailDataset
    from mmlt.registry import DATASETS
    init_default_scope('mmpretrain')
    data = gl.load_fashion_mnist(FASHION_MNIST)
    train, val = gl.protocol_splits(data['train_labels'])
    source = DATASETS.build(dict(type='FashionMNIST',
                                 data_root=FASHION_MNIST, test_mode=False,
                                 pipeline=[]))
    lt = LongTailDataset(source, imbalance_ratio=100, profile='exp',
                         max_count=1000, seed=0)
    held = LongTailDataset(source, imbalance_ratio=100, profile='exp',
                           max_count=1000, seed=0, split='held_out',
                           held_out_per_class=100)
    np.testing.assert_array_equal(train, lt.indices)
    np.testing.assert_array_equal(val, held.indices)
    assert tuple(lt.metainfo['classes']) == gl.FASHION_MNIST_CLASSES
    assert len(train) == 2478
