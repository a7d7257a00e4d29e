"""Dataset statistics: counts per class and group, imbalance ratio, shot
bins, classes below the fold count and image sizes equal a hand count on a
folder of PNGs of two sizes with a CSV and groups; the tool writes its
markdown, CSVs and PNGs; configs (DigitsLT), wrappers and bad input."""
import csv
import importlib.util
import os
import os.path as osp
import subprocess
import sys
from collections import Counter

import cv2
import numpy as np
import pytest
from mmengine.dataset import RepeatDataset
from PIL import Image

from mmlt.analysis.dataset_sources import (dataset_from_config,
                                           load_dataset, metric_thresholds)
from mmlt.analysis.dataset_stats import (class_group_counts,
                                         classes_below_folds, compute_stats,
                                         format_markdown, imbalance_ratio,
                                         shot_bins)
from mmlt.analysis.image_sizes import (ImageSize, aspect_ratio_histogram,
                                       header_image_size, size_histogram)
from mmlt.datasets import GroupAnnotationDataset, LongTailDataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'dataset_stats.py')
DIGITS = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'

# label order of classes.txt; 'fox' has no image at all
CLASSES = ['ant', 'cat', 'big dog', 'eel/fish', 'fox']
# images of each class in group 0 and group 1
PER_GROUP = {'ant': (60, 41), 'cat': (15, 10), 'big dog': (8, 0),
             'eel/fish': (0, 2)}
LARGE, SMALL = ImageSize(80, 60), ImageSize(32, 48)  # width, height


@pytest.fixture(scope='module')
def own_folder(tmp_path_factory):
    """images/*.png (every third image 32x48, the others 80x60), train.csv
    with class names and group ids, classes.txt; returns the folder and the
    rows as written (name, class, group, size)."""
    root = tmp_path_factory.mktemp('stats')
    (root / 'images').mkdir()
    rows = []
    for cls, groups in PER_GROUP.items():
        for group, number in enumerate(groups):
            for _ in range(number):
                size = SMALL if len(rows) % 3 == 0 else LARGE
                name = f'img_{len(rows):03d}.png'
                cv2.imwrite(str(root / 'images' / name),
                            np.zeros((size.height, size.width, 3), np.uint8))
                rows.append((name, cls, group, size))
    with open(root / 'train.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filename', 'label', 'group_id'])
        writer.writerows(r[:3] for r in rows)
    (root / 'classes.txt').write_text('\n'.join(CLASSES) + '\n')
    return root, rows


def _hand_counts(rows):
    return np.array([[sum(r[1] == c and r[2] == g for r in rows)
                      for g in (0, 1)] for c in CLASSES])


def _stats(root, **kwargs):
    dataset, name, (many, few) = load_dataset(
        str(root / 'train.csv'), classes=str(root / 'classes.txt'),
        data_root=str(root / 'images'))
    return compute_stats(dataset, name, many_shot_thr=many,
                         few_shot_thr=few, **kwargs)


def test_counts_bins_folds_and_sizes_equal_a_hand_count(own_folder):
    root, rows = own_folder
    stats = _stats(root)
    hand = _hand_counts(rows)
    assert hand.tolist() == [[60, 41], [15, 10], [8, 0], [0, 2], [0, 0]]
    assert stats.class_names == tuple(CLASSES)
    assert stats.group_ids == (0, 1)
    np.testing.assert_array_equal(stats.counts, hand)
    assert stats.class_counts.tolist() == [101, 25, 8, 2, 0]
    assert stats.group_counts.tolist() == [83, 53]
    assert stats.num_images == len(rows) == 136
    # fox has no image: the ratio is infinite, fox is named as empty
    assert stats.imbalance_ratio == float('inf')
    assert stats.empty_classes.tolist() == [4]
    # LongTailMetric's bins: > 100 many, < 20 few, 20..100 medium
    assert stats.shots == ['many', 'medium', 'few', 'few', 'few']
    # fewer images than 3 folds, but some: eel/fish (2); fox is empty
    assert stats.below_folds.tolist() == [3]
    sizes = Counter(r[3] for r in rows)
    assert sizes == {SMALL: 46, LARGE: 90}
    assert Counter(stats.image_sizes) == sizes
    assert stats.size_problems == ()
    assert size_histogram(stats.image_sizes) == [(LARGE, 90), (SMALL, 46)]
    assert aspect_ratio_histogram(stats.image_sizes) == [(0.67, 46),
                                                         (1.33, 90)]

    text = format_markdown(stats)
    assert '| imbalance ratio (largest / smallest) | inf |' in text
    assert '| largest class | `ant`: 101 |' in text
    assert 'many 1, medium 1, few 3 |' in text
    assert '**Classes without images** (1): `fox` (0)' in text
    assert ('**Classes with fewer images than the 3 folds** (1): '
            '`eel/fish` (2)') in text
    assert '| 2 | big dog | few | 8 | 8 | 0 |' in text
    assert '| 80 x 60 | 90 | 66.2% |' in text
    assert '| 0.67 | 46 |' in text


def test_pure_functions_and_their_errors():
    ids, matrix = class_group_counts([0, 2, 2, 1], [3, 0, 3, 3], 4)
    assert ids.tolist() == [0, 3]
    assert matrix.tolist() == [[0, 1], [0, 1], [1, 1], [0, 0]]
    with pytest.raises(ValueError, match='label 4 is outside the 4'):
        class_group_counts([4], [0], 4)
    with pytest.raises(ValueError, match='group id -1'):
        class_group_counts([0], [-1], 4)
    assert imbalance_ratio([12341, 60, 5]) == pytest.approx(2468.2)
    with pytest.raises(ValueError, match=r'\[0, 0\]'):
        imbalance_ratio([0, 0])
    assert shot_bins([101, 100, 20, 19]) == ['many', 'medium', 'medium',
                                             'few']
    assert shot_bins([50], 40, 10) == ['many']
    assert classes_below_folds([5, 4, 1, 0], 5).tolist() == [1, 2]
    for bad in (1, 0, True, 2.5, '3'):
        with pytest.raises(ValueError, match=f'num_splits.*{bad!r}'):
            classes_below_folds([5], bad)
    cfg = dict(val_evaluator=[dict(type='Accuracy'), dict(
        type='LongTailMetric', many_shot_thr=50)],
               test_evaluator=dict(type='LongTailMetric', few_shot_thr=5))
    assert metric_thresholds(cfg) == (50, 20)
    assert metric_thresholds(cfg, 'test') == (100, 5)
    assert metric_thresholds({}) == (100, 20)


def test_header_size_applies_jpeg_exif_rotation(tmp_path):
    # what OpenCV (mmcv's loader) decodes: a 90-degree EXIF turn swaps
    image = Image.fromarray(np.zeros((60, 80, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(tmp_path / 'turned.jpg', exif=exif)
    image.save(tmp_path / 'plain.jpg')
    assert header_image_size(str(tmp_path / 'turned.jpg')) == (60, 80)
    assert cv2.imread(str(tmp_path / 'turned.jpg')).shape[:2] == (80, 60)
    assert header_image_size(str(tmp_path / 'plain.jpg')) == (80, 60)


def test_unreadable_images_are_reported(own_folder, tmp_path):
    root, rows = own_folder
    (tmp_path / 'train.csv').write_text(
        'filename,label\nmissing.png,cat\nbroken.png,ant\n')
    (tmp_path / 'broken.png').write_bytes(b'not an image')
    stats = compute_stats(
        load_dataset(str(tmp_path / 'train.csv'),
                     classes=str(root / 'classes.txt'))[0], 'broken')
    assert stats.image_sizes == (None, None)
    assert 'missing.png' in stats.size_problems[0]
    assert 'broken.png' in stats.size_problems[1]
    assert 'Not read: 2; the first: ' in format_markdown(stats)
    assert compute_stats(load_dataset(
        str(tmp_path / 'train.csv'), classes=str(root / 'classes.txt'))[0],
        'broken', read_sizes=False).image_sizes is None


def test_tool_writes_markdown_csv_and_png(own_folder, tmp_path):
    root, rows = own_folder
    out = tmp_path / 'out'
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([ROOT,
                                           os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run(
        [sys.executable, TOOL, str(root / 'train.csv'), '--classes',
         str(root / 'classes.txt'), '--data-root', str(root / 'images'),
         '--num-splits', '5', '--out-dir', str(out)],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    markdown = (out / 'dataset_stats.md').read_text()
    assert proc.stdout.strip() == markdown.strip()
    # with 5 folds, big dog (8) is fine and eel/fish (2) is not
    assert ('**Classes with fewer images than the 5 folds** (1): '
            '`eel/fish` (2)') in markdown
    with open(out / 'class_counts.csv') as f:
        table = list(csv.DictReader(f))
    hand = _hand_counts(rows)
    assert [r['class_name'] for r in table] == CLASSES
    assert [[int(r['group0']), int(r['group1'])] for r in table] == \
        hand.tolist()
    assert [int(r['images']) for r in table] == hand.sum(1).tolist()
    assert [r['shot'] for r in table] == ['many', 'medium', 'few', 'few',
                                          'few']
    assert [r['fewer_than_5_folds'] for r in table] == ['0', '0', '0', '1',
                                                        '0']
    with open(out / 'image_sizes.csv') as f:
        sizes = list(csv.DictReader(f))
    assert [(r['width'], r['height'], r['images']) for r in sizes] == [
        ('80', '60', '90'), ('32', '48', '46')]
    for png in ('class_distribution.png', 'class_group_counts.png'):
        assert (out / png).read_bytes()[:8] == PNG_MAGIC


def test_digits_config_train_and_test_splits():
    from mmlt.datasets import DigitsLT
    dataset, thresholds = dataset_from_config(DIGITS)
    assert isinstance(dataset, DigitsLT) and thresholds == (100, 20)
    stats = compute_stats(dataset, 'digits')
    reference = DigitsLT(split='train', imbalance_ratio=10,
                         test_per_class=40)  # the config's arguments
    labels, groups = reference.get_gt_labels(), reference.get_group_ids()
    hand = [[int(((labels == c) & (groups == g)).sum()) for g in (0, 1)]
            for c in range(10)]
    assert stats.counts.tolist() == hand
    assert stats.imbalance_ratio == pytest.approx(
        max(map(sum, hand)) / min(map(sum, hand)))
    # in-memory 8x8 arrays: their shapes, no file read
    assert set(stats.image_sizes) == {ImageSize(8, 8)}
    test_set, _ = dataset_from_config(DIGITS, 'test')
    assert compute_stats(test_set, 'digits', read_sizes=False
                         ).class_counts.tolist() == [40] * 10


def test_long_tail_dataset_inside_a_wrapper(own_folder):
    root, rows = own_folder
    source = GroupAnnotationDataset(
        ann_file=str(root / 'train.csv'), data_prefix=str(root / 'images'),
        classes=CLASSES[:4], pipeline=[])
    wrapped = LongTailDataset(source, imbalance_ratio=4, max_count=8)
    repeated = RepeatDataset(wrapped, times=2)
    stats = compute_stats(repeated, 'lt')
    # exp profile: int(8 * 4^(-i/3)) = 8, 5, 3, 2, each repeated twice
    assert stats.class_counts.tolist() == [16, 10, 6, 4]
    kept = [rows[i] for i in wrapped.indices] * 2
    hand = [[sum(r[1] == c and r[2] == g for r in kept) for g in (0, 1)]
            for c in CLASSES[:4]]
    assert stats.counts.tolist() == hand
    assert list(stats.image_sizes) == [r[3] for r in kept]
    assert stats.below_folds.tolist() == []  # 4 >= 3 after repeating


def test_bad_input(own_folder, tmp_path):
    root, _ = own_folder
    with pytest.raises(FileNotFoundError, match='nothere.csv'):
        load_dataset(str(tmp_path / 'nothere.csv'))
    (tmp_path / 'table.xlsx').write_text('')
    with pytest.raises(ValueError, match=r"table.xlsx.*'\.xlsx'"):
        load_dataset(str(tmp_path / 'table.xlsx'))
    with pytest.raises(ValueError, match="split='val' is for a config"):
        load_dataset(str(root / 'train.csv'), split='val')
    with pytest.raises(ValueError, match='classes=.*for an annotation'):
        load_dataset(DIGITS, classes=str(root / 'classes.txt'))
    with pytest.raises(ValueError, match="data_root='/x'.*no data_root"):
        load_dataset(DIGITS, data_root='/x')
    with pytest.raises(ValueError, match="split must be one of.*'dev'"):
        load_dataset(DIGITS, split='dev')
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        load_dataset(str(root / 'train.csv'), classes=str(root / 'nope.txt'))
    config = tmp_path / 'only_train.py'
    config.write_text("train_dataloader = dict(dataset=dict(type='DigitsLT'))"
                      '\n')
    with pytest.raises(ValueError, match='no val_dataloader.dataset'):
        load_dataset(str(config), split='val')
    (tmp_path / 'indices.csv').write_text('filename,label\na.png,0\n')
    with pytest.raises(ValueError, match='integer labels'):
        load_dataset(str(tmp_path / 'indices.csv'))
    dataset = load_dataset(str(root / 'train.csv'),
                           classes=str(root / 'classes.txt'))[0]
    with pytest.raises(ValueError, match='num_splits.*1'):
        compute_stats(dataset, 'x', num_splits=1)
    with pytest.raises(ValueError, match='few_shot_thr'):
        compute_stats(dataset, 'x', many_shot_thr=10, few_shot_thr=20)


def test_tool_refuses_bad_input_naming_it(capsys, tmp_path):
    spec = importlib.util.spec_from_file_location('dataset_stats_tool', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for argv, named in (([str(tmp_path / 'none.csv')], 'none.csv'),
                        ([DIGITS, '--num-splits', '1'], 'num_splits'),
                        ([DIGITS, '--split', 'dev'], "'dev'")):
        with pytest.raises(SystemExit) as exit_info:
            tool.main(argv)
        assert exit_info.value.code == 2
        assert named in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
