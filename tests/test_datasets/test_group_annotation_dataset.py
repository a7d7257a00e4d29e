import json

import cv2
import numpy as np
import pytest
import torch

import mmlt  # noqa: F401
from mmlt.registry import DATASETS


@pytest.fixture
def image_dir(tmp_path):
    rng = np.random.RandomState(0)
    for name in ('a', 'b', 'c', 'd'):
        cv2.imwrite(str(tmp_path / f'{name}.png'),
                    rng.randint(0, 255, (6, 5, 3), dtype=np.uint8))
    return tmp_path


PIPELINE = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]


def build(ann_file, data_root, **kwargs):
    return DATASETS.build(
        dict(
            type='GroupAnnotationDataset',
            ann_file=str(ann_file),
            data_prefix=str(data_root),
            pipeline=PIPELINE,
            **kwargs))


def test_csv_dataset_counts_groups_and_pipeline(image_dir):
    ann = image_dir / 'ann.csv'
    ann.write_text('filename,label,group_id\na.png,cat,1\nb.png,dog,0\n'
                   'c.png,cat,\nd.png,cat,2\n')
    ds = build(ann, image_dir, classes=['cat', 'dog', 'emu'])
    assert len(ds) == 4
    np.testing.assert_array_equal(ds.get_gt_labels(), [0, 1, 0, 0])
    np.testing.assert_array_equal(ds.get_group_ids(), [1, 0, 0, 2])
    np.testing.assert_array_equal(ds.class_counts, [3, 1, 0])
    np.testing.assert_array_equal(ds.group_counts, [2, 1, 1])
    assert ds.get_cat_ids(1) == [1]
    sample = ds[0]
    assert sample['inputs'].shape == (3, 6, 5)
    assert sample['data_samples'].group_id == 1
    assert sample['data_samples'].gt_label.item() == 0


def test_classes_from_file_and_from_names(image_dir):
    (image_dir / 'classes.txt').write_text('x\ny\n')
    ann = image_dir / 'ann.txt'
    ann.write_text('a.png 1\nb.png 0 4\n')
    ds = build(ann, image_dir, classes=str(image_dir / 'classes.txt'))
    assert ds.metainfo['classes'] == ('x', 'y')
    np.testing.assert_array_equal(ds.get_group_ids(), [0, 4])
    named = image_dir / 'named.csv'
    named.write_text('filename,label\na.png,zeta\nb.png,alpha\n')
    ds = build(named, image_dir)
    assert ds.metainfo['classes'] == ('alpha', 'zeta')
    np.testing.assert_array_equal(ds.get_gt_labels(), [1, 0])


def test_integer_labels_without_classes_are_refused(image_dir):
    ann = image_dir / 'ann.txt'
    ann.write_text('a.png 1\n')
    with pytest.raises(ValueError, match=r'integer labels \(first at .*ann'
                       r'\.txt:1\) but no class names'):
        build(ann, image_dir)


def test_json_dataset_takes_classes_from_file(image_dir):
    ann = image_dir / 'ann.json'
    ann.write_text(
        json.dumps(
            dict(
                metainfo=dict(classes=['u', 'v']),
                data_list=[dict(img_path='a.png', gt_label=1,
                                group_id=3)])))
    ds = build(ann, image_dir)
    assert ds.metainfo['classes'] == ('u', 'v')
    np.testing.assert_array_equal(ds.class_counts, [0, 1])


def test_missing_images_are_listed_with_lines(image_dir):
    ann = image_dir / 'ann.csv'
    ann.write_text('filename,label\na.png,0\nmissing.png,0\n')
    with pytest.raises(FileNotFoundError,
                       match=r"missing\.png' \(.*ann\.csv:3\)"):
        build(ann, image_dir, classes=['c'])


def test_unreadable_image_named_at_load_time(image_dir):
    (image_dir / 'bad.png').write_bytes(b'not an image at all')
    ann = image_dir / 'ann.csv'
    ann.write_text('filename,label\nbad.png,0\n')
    ds = build(ann, image_dir, classes=['c'])
    with pytest.raises(ValueError,
                       match=r'cannot decode image .*bad\.png .*ann\.csv:2'):
        ds[0]
    # removed after the dataset was built: still named
    ann.write_text('filename,label\na.png,0\n')
    ds = build(ann, image_dir, classes=['c'])
    (image_dir / 'a.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'image not found: .*a\.png'):
        ds[0]


def test_strict_loader_refuses_ignore_empty():
    from mmlt.datasets.transforms import StrictLoadImageFromFile
    with pytest.raises(ValueError, match='ignore_empty'):
        StrictLoadImageFromFile(ignore_empty=True)


def test_group_id_reaches_the_data_sample_as_int(image_dir):
    ann = image_dir / 'ann.csv'
    ann.write_text('filename,label,group_id\na.png,0,5\n')
    ds = build(ann, image_dir, classes=['c'])
    sample = ds[0]['data_samples']
    assert int(torch.as_tensor(sample.group_id)) == 5
