"""Annotation input that used to be accepted silently, refused deep inside
MMEngine, or written in a form mmlt could not read back."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

import mmlt  # noqa: F401
from mmlt.datasets.annotation_parsers import (parse_annotation_file,
                                              read_class_file)
from mmlt.datasets.annotation_writers import write_annotation_file
from mmlt.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def folder(tmp_path):
    rng = np.random.RandomState(0)
    for name in ('a.png', 'b.png', 'my cat.png'):
        cv2.imwrite(str(tmp_path / name),
                    rng.randint(0, 255, (4, 4, 3), dtype=np.uint8))
    return tmp_path


def build(folder, ann, **kwargs):
    return DATASETS.build(
        dict(type='GroupAnnotationDataset', ann_file=str(folder / ann),
             data_prefix=str(folder), pipeline=[], **kwargs))


def test_excel_byte_order_mark_is_accepted(folder):
    (folder / 'ann.csv').write_bytes(
        '\ufefffilename,label,group_id\r\na.png,cat,1\r\nb.png,dog,0\r\n'
        .encode('utf-8'))
    ds = build(folder, 'ann.csv', classes=['cat', 'dog'])
    assert ds.get_gt_labels().tolist() == [0, 1]
    assert ds.get_group_ids().tolist() == [1, 0]
    (folder / 'classes.txt').write_bytes('\ufeffcat\ndog\n'.encode('utf-8'))
    assert read_class_file(str(folder / 'classes.txt')) == ('cat', 'dog')


@pytest.mark.parametrize('name, text, what', [
    ('ann.csv', 'filename,label,group_id\n', 'only a header'),
    ('ann.csv', 'filename,label\n\n\n', 'only a header'),
    ('ann.txt', '\n', 'no annotation line'),
    ('ann.json', '{"data_list": []}', 'an empty "data_list"'),
])
def test_file_without_rows_is_named(folder, name, text, what):
    (folder / name).write_text(text)
    with pytest.raises(ValueError,
                       match=rf'no rows in .*{name}: it has {what}'):
        build(folder, name, classes=['cat', 'dog'])


def test_duplicate_names_in_a_classes_file(folder):
    (folder / 'ann.csv').write_text('filename,label\na.png,cat\n')
    (folder / 'classes.txt').write_text('cat\ndog\ncat\nemu\ndog\n')
    with pytest.raises(ValueError, match=r"classes file .*classes.txt: "
                       r"duplicate class name\(s\) \['cat', 'dog'\]"):
        build(folder, 'ann.csv', classes=str(folder / 'classes.txt'))
    (folder / 'classes.txt').write_text('cat\n\ndog\n')
    with pytest.raises(ValueError, match=r'classes.txt:2: empty line'):
        build(folder, 'ann.csv', classes=str(folder / 'classes.txt'))
    with pytest.raises(ValueError, match=r"classes=: duplicate class "
                       r"name\(s\) \['dog'\]"):
        build(folder, 'ann.csv', classes=['cat', 'dog', 'dog'])


def test_json_metainfo_conflicting_with_classes(folder):
    ann = dict(metainfo=dict(classes=['dog', 'cat']),
               data_list=[dict(img_path='a.png', gt_label=0)])
    (folder / 'ann.json').write_text(json.dumps(ann))
    with pytest.raises(ValueError, match=r"ann.json: metainfo.classes "
                       r"\['dog', 'cat'\] conflicts with the configured "
                       r"classes \['cat', 'dog'\]"):
        build(folder, 'ann.json', classes=['cat', 'dog'])
    # the same names in the same order are fine
    ds = build(folder, 'ann.json', classes=['dog', 'cat'])
    assert ds.metainfo['classes'] == ('dog', 'cat')
    ann['metainfo']['classes'] = ['dog', 'dog']
    (folder / 'ann.json').write_text(json.dumps(ann))
    with pytest.raises(ValueError, match=r"metainfo.classes: duplicate"):
        build(folder, 'ann.json')


def test_classes_and_metainfo_conflict(folder):
    (folder / 'ann.csv').write_text('filename,label\na.png,cat\n')
    with pytest.raises(ValueError, match=r"classes=\['cat', 'dog'\] "
                       r"conflicts with metainfo.classes=\['dog', 'cat'\]"):
        build(folder, 'ann.csv', classes=['cat', 'dog'],
              metainfo=dict(classes=['dog', 'cat']))


def test_file_name_with_spaces_is_quoted(folder):
    (folder / 'ann.csv').write_text('filename,label\n a.png ,cat\n'
                                    'my cat.png,cat\n')
    with pytest.raises(FileNotFoundError) as info:
        build(folder, 'ann.csv', classes=['cat'])
    message = str(info.value)
    assert "/ a.png '" in message and 'ann.csv:2' in message
    assert "a file named 'a.png' exists" in message
    assert 'my cat.png' not in message  # a real name with a space loads
    (folder / 'ann.csv').write_text('filename,label\nmy cat.png,cat\n')
    assert build(folder, 'ann.csv', classes=['cat'])[0]['img_path'] \
        .endswith('my cat.png')


def test_txt_writer_refuses_names_it_could_not_read_back(folder):
    rows, _ = parse_annotation_file(str(_csv(folder)), ['cat'])
    out = folder / 'out.txt'
    with pytest.raises(ValueError, match=r"cannot hold the file name\(s\) "
                       r"\['my cat.png'\].*nothing was written.*\.csv"):
        write_annotation_file(rows, str(out))
    assert not out.exists()
    # CSV keeps the name, and reads back to the same rows
    write_annotation_file(rows, str(folder / 'out.csv'), ['cat'])
    back, _ = parse_annotation_file(str(folder / 'out.csv'), ['cat'])
    assert [r['img_path'] for r in back] == ['a.png', 'my cat.png']


def _csv(folder):
    path = folder / 'in.csv'
    path.write_text('filename,label\na.png,cat\nmy cat.png,cat\n')
    return path


def test_balance_tool_does_not_write_an_unreadable_txt(folder):
    out = folder / 'balanced.txt'
    proc = subprocess.run(
        [sys.executable, 'tools/dataset/balance_annotations.py',
         str(_csv(folder)), str(out), '--target', '2'],
        cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'my cat.png' in proc.stderr and '.csv' in proc.stderr
    assert not out.exists()
