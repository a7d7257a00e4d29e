"""GroupAnnotationDataset(label_issues=...): the rows a label-issue file
names are excluded or relabelled, logged with their count; files naming rows
the annotation does not have, stale files and bad options are refused."""
import csv
import logging

import pytest
from mmengine.logging import MMLogger

import mmlt  # noqa: F401
from mmlt.analysis.label_issues import write_issue_csv
from mmlt.datasets.label_issue_filter import (check_label_issues_option,
                                              read_label_issue_file)
from mmlt.registry import DATASETS
from model_helpers import LogRecords

CLASSES = ['cat', 'dog', 'emu']
# filename, label, group
ANNOTATION = [('a.png', 'cat', 0), ('b.png', 'cat', 1), ('c.png', 'dog', 0),
              ('d.png', 'dog', 1), ('e.png', 'emu', 0), ('f.png', 'cat', 0)]


@pytest.fixture
def data_root(tmp_path):
    with open(tmp_path / 'train.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filename', 'label', 'group_id'])
        writer.writerows(ANNOTATION)
    return tmp_path


def _issue(rank, index, filename, given, suggested):
    return dict(rank=rank, index=index, filename=filename, given_label=given,
                given_class=CLASSES[given], suggested_label=suggested,
                suggested_class=CLASSES[suggested], self_confidence=0.01,
                group_id=0)


def _issues(root, rows, name='label_issues.csv'):
    write_issue_csv(rows, str(root / name))
    return name


def _build(root, label_issues, **kwargs):
    records = LogRecords()
    logger = MMLogger.get_current_instance()
    logger.addHandler(records)
    try:
        ds = DATASETS.build(
            dict(type='GroupAnnotationDataset', data_root=str(root),
                 ann_file='train.csv', data_prefix='images', classes=CLASSES,
                 check_images=False, label_issues=label_issues, **kwargs))
        ds.full_init()
    finally:
        logger.removeHandler(records)
    return ds, records


def _names(ds):
    return [ds.get_data_info(i)['img_path'].split('/')[-1]
            for i in range(len(ds))]


def test_exclude_by_filename_logs_the_count(data_root):
    # b.png is a cat called dog by the model; the joined path matches too
    name = _issues(data_root, [
        _issue(1, 1, 'b.png', 0, 1),
        _issue(2, 4, str(data_root / 'images' / 'e.png'), 2, 0)
    ])
    ds, records = _build(data_root, dict(file=name, action='exclude'))
    assert _names(ds) == ['a.png', 'c.png', 'd.png', 'f.png']
    assert list(ds.get_gt_labels()) == [0, 1, 1, 0]
    assert list(ds.class_counts) == [2, 2, 0]
    info = '\n'.join(records.at(logging.INFO))
    assert 'label_issues: excluded 2 of 6 rows' in info
    assert "'b.png', 'e.png'" in info and '4 rows remain' in info


def test_relabel_gives_the_suggested_label_and_logs(data_root):
    name = _issues(data_root, [_issue(1, 1, 'b.png', 0, 1),
                               _issue(2, 4, 'e.png', 2, 2)])
    ds, records = _build(data_root, dict(file=name, action='relabel'))
    assert len(ds) == 6
    assert list(ds.get_gt_labels()) == [0, 1, 1, 1, 2, 0]
    assert 'label_issues: relabelled 1 of 6 rows' in '\n'.join(
        records.at(logging.INFO))
    assert 'b.png cat->dog' in '\n'.join(records.at(logging.INFO))
    # e.png: suggested = given, kept and said so
    assert any('1 row(s)' in m and 'keep their label' in m
               for m in records.at(logging.WARNING))


def test_top_follows_the_rank_column_and_match_by_index(data_root):
    # written out of rank order: top=1 takes rank 1 (d.png), not file order
    name = _issues(data_root, [_issue(2, 0, 'a.png', 0, 2),
                               _issue(1, 3, 'd.png', 1, 0)])
    ds, _ = _build(data_root, dict(file=name, action='exclude', top=1))
    assert _names(ds) == ['a.png', 'b.png', 'c.png', 'e.png', 'f.png']
    ds, _ = _build(data_root, dict(file=name, action='relabel',
                                   match='index'))
    assert list(ds.get_gt_labels()) == [2, 0, 1, 0, 2, 0]


def test_applied_before_the_indices_subset(data_root):
    name = _issues(data_root, [_issue(1, 0, 'a.png', 0, 1)])
    ds, _ = _build(data_root, dict(file=name), indices=[0, 1])
    assert _names(ds) == ['b.png', 'c.png']


def test_rows_that_do_not_exist_are_named(data_root):
    name = _issues(data_root, [
        _issue(1, 0, 'a.png', 0, 1),
        _issue(2, 9, 'zebra.png', 0, 1),
        _issue(3, 7, 'gnu.png', 1, 0)
    ])
    with pytest.raises(ValueError, match=r"2 row\(s\) .* do not exist .*"
                       r"\n  'zebra.png' \(.*label_issues.csv:3\)"
                       r"\n  'gnu.png' \(.*label_issues.csv:4\)"):
        _build(data_root, dict(file=name))
    with pytest.raises(ValueError, match=r'index 9 .*annotation has 6 rows'):
        _build(data_root, dict(file=name, match='index'))


def test_stale_labels_and_other_class_orders_are_refused(data_root):
    # the annotation calls a.png a cat (0); the file says it was given dog
    name = _issues(data_root, [_issue(1, 0, 'a.png', 1, 0)])
    with pytest.raises(ValueError, match=r"'a.png' .*train.csv:2\) has "
                       'label 0, the file says given_label 1'):
        _build(data_root, dict(file=name))
    with open(data_root / 'other.csv', 'w') as f:
        f.write('filename,given_label,given_class,suggested_label\n'
                'a.png,0,dog,1\n')
    with pytest.raises(ValueError, match=r"other.csv:2: given_label 0 is "
                       r"named 'dog' in the file but is 'cat'"):
        _build(data_root, dict(file='other.csv'))
    with open(data_root / 'range.csv', 'w') as f:
        f.write('filename,given_label,suggested_label\na.png,0,7\n')
    with pytest.raises(ValueError, match=r'range.csv:2: suggested_label 7 '
                       r'\(valid: 0..2\)'):
        _build(data_root, dict(file='range.csv', action='relabel'))


@pytest.mark.parametrize('option, message', [
    (dict(file='x.csv', action='drop'), r"action='drop' is not one of"),
    (dict(file='x.csv', top=0), r'top=0 must be None'),
    (dict(file='x.csv', match='path'), r"match='path' is not one of"),
    (dict(file='x.csv', limit=3), r"unknown key\(s\) \['limit'\]"),
    (dict(action='exclude'), r'label_issues.file=None must name'),
    ('x.csv', r"label_issues='x.csv' must be a dict"),
])
def test_bad_options_are_refused_when_the_dataset_is_built(
        data_root, option, message):
    with pytest.raises(ValueError, match=message):
        check_label_issues_option(option)
    with pytest.raises(ValueError, match=message):
        DATASETS.build(dict(type='GroupAnnotationDataset',
                            data_root=str(data_root), ann_file='train.csv',
                            classes=CLASSES, label_issues=option,
                            lazy_init=True))


def test_bad_issue_files(data_root):
    with open(data_root / 'nolabel.csv', 'w') as f:
        f.write('filename,label\na.png,0\n')
    with pytest.raises(ValueError, match=r"lacks the column\(s\) "
                       r"\['given_label'\]"):
        read_label_issue_file(str(data_root / 'nolabel.csv'))
    with open(data_root / 'rank.csv', 'w') as f:
        f.write('rank,filename,given_label\n1,a.png,0\n1,b.png,0\n')
    with pytest.raises(ValueError, match=r'rank\(s\) \[1\] appear more'):
        read_label_issue_file(str(data_root / 'rank.csv'))
    with open(data_root / 'every.csv', 'w') as f:
        f.write('filename,given_label\n' + ''.join(
            f'{n},{CLASSES.index(c)}\n' for n, c, _ in ANNOTATION))
    with pytest.raises(ValueError, match='names every one of the 6 rows'):
        _build(data_root, dict(file='every.csv'))
    with pytest.raises(FileNotFoundError, match="'missing.csv' not found"):
        _build(data_root, dict(file='missing.csv'))
