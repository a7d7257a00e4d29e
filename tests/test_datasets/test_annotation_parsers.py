import json

import pytest

from mmlt.datasets.annotation_parsers import (parse_annotation_file,
                                              parse_csv, parse_json,
                                              parse_txt)

CLASSES = ('cat', 'dog', 'fox')


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_labels_by_index_and_name_groups_and_extras(tmp_path):
    path = write(tmp_path, 'a.csv', 'filename,label,group_id,weight\n'
                 'a.png,0,1,0.5\n'
                 '\n'
                 'b.png,dog,,2\n')
    rows = parse_csv(path, CLASSES)
    assert [r['gt_label'] for r in rows] == [0, 1]
    assert [r['group_id'] for r in rows] == [1, 0]  # empty group -> 0
    assert rows[0]['weight'] == 0.5 and rows[1]['weight'] == 2.0
    assert rows[1]['source'] == f'{path}:4'


@pytest.mark.parametrize('row,message', [
    ('a.png,0,1,9', r'a\.csv:3: expected 3 columns'),
    ('a.png,zebra,0', r"a\.csv:3: unknown class name 'zebra'"),
    ('a.png,3,0', r'a\.csv:3: label 3 is out of range for 3 classes'),
    ('a.png,-1,0', r'a\.csv:3: label -1 is out of range'),
    ('a.png,0,-2', r'a\.csv:3: group_id -2 is negative'),
    ('a.png,0,x', r"a\.csv:3: group_id 'x' is not a non-negative"),
    ('a.png,0,1.5', r"a\.csv:3: group_id '1.5' is not a non-negative"),
    (',0,0', r'a\.csv:3: empty filename'),
])
def test_csv_bad_rows_name_file_and_line(tmp_path, row, message):
    path = write(tmp_path, 'a.csv',
                 f'filename,label,group_id\nok.png,0,0\n{row}\n')
    with pytest.raises(ValueError, match=message):
        parse_csv(path, CLASSES)


def test_csv_header_errors(tmp_path):
    with pytest.raises(ValueError, match=r"lacks the column 'label'"):
        parse_csv(write(tmp_path, 'h.csv', 'filename,lbl\na,0\n'), CLASSES)
    with pytest.raises(ValueError, match='empty CSV'):
        parse_csv(write(tmp_path, 'e.csv', ''), CLASSES)


def test_txt_two_and_three_columns_and_bad_rows(tmp_path):
    path = write(tmp_path, 'l.txt', 'a.png 0\nb.png 2 3\n')
    rows = parse_txt(path, CLASSES)
    assert [(r['gt_label'], r['group_id']) for r in rows] == [(0, 0), (2, 3)]
    bad = write(tmp_path, 'b.txt', 'a.png 0\nb.png\n')
    with pytest.raises(ValueError, match=r'b\.txt:2: expected "path label"'):
        parse_txt(bad, CLASSES)
    bad = write(tmp_path, 'c.txt', 'a.png 0\nb.png 1.5\n')
    with pytest.raises(ValueError, match=r"c\.txt:2: unknown class name"):
        parse_txt(bad, CLASSES)


def test_json_openmmlab_format(tmp_path):
    content = dict(
        metainfo=dict(classes=list(CLASSES)),
        data_list=[
            dict(img_path='a.png', gt_label=2, group_id=1),
            dict(img_path='b.png', gt_label='cat'),
        ])
    path = write(tmp_path, 'a.json', json.dumps(content))
    rows, meta = parse_json(path)
    assert meta['classes'] == list(CLASSES)
    assert [(r['gt_label'], r['group_id']) for r in rows] == [(2, 1), (0, 0)]
    content['data_list'].append(dict(img_path='c.png', gt_label=7))
    path = write(tmp_path, 'b.json', json.dumps(content))
    with pytest.raises(ValueError, match=r'b\.json:data_list\[2\]: label 7'):
        parse_json(path)
    content['data_list'][2] = dict(img_path='c.png')
    path = write(tmp_path, 'c.json', json.dumps(content))
    with pytest.raises(ValueError, match=r'data_list\[2\]: needs "img_path"'):
        parse_json(path)
    path = write(tmp_path, 'd.json', '{"data_list": [}')
    with pytest.raises(ValueError, match=r'd\.json:1: invalid JSON'):
        parse_json(path)


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.csv'):
        parse_annotation_file(str(tmp_path / 'nope.csv'))
    path = write(tmp_path, 'a.xml', '')
    with pytest.raises(ValueError, match='cannot infer the annotation'):
        parse_annotation_file(path)
