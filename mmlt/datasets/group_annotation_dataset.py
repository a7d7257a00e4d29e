"""A classification dataset read from CSV, OpenMMLab-2.0 JSON or txt lists,
with an optional ``group_id`` per image."""
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine.fileio import get_file_backend, join_path
from mmengine.fileio.backends import LocalBackend

from mmlt.registry import DATASETS
from .annotation_parsers import (check_class_names, data_file_path,
                                 parse_annotation_file, read_class_file)
from .base_lt_dataset import BaseLTDataset
from .label_issue_filter import apply_label_issues, check_label_issues_option

__all__ = ['GroupAnnotationDataset']

_MAX_LISTED = 10


def _quoted_path(path: str) -> str:
    """The path quoted (a stray space shows), with a hint when the name
    without its surrounding spaces exists."""
    text = repr(path)
    folder, name = osp.split(path)
    if name != name.strip() and osp.isfile(osp.join(folder, name.strip())):
        text += (f' (a file named {name.strip()!r} exists: the annotation '
                 'has spaces around the name)')
    return text


def resolve_classes(classes: Union[str, Sequence[str], None],
                    metainfo: Optional[dict],
                    data_root: Optional[str] = None) -> Optional[tuple]:
    """The class names of ``classes=`` / ``metainfo=``, validated.

    A file (found by :func:`~.annotation_parsers.data_file_path`) is read by
    :func:`read_class_file`; a list must hold each name once; ``classes``
    and ``metainfo['classes']`` given together must be identical
    (MMPretrain would silently let the metainfo win).
    """
    if isinstance(classes, str):
        classes = read_class_file(
            data_file_path(classes, data_root, 'classes file'))
    elif classes is not None:
        classes = check_class_names(classes, 'classes=')
    meta_classes = (metainfo or {}).get('classes', None)
    if meta_classes is not None:
        meta_classes = check_class_names(meta_classes, 'metainfo.classes')
        if classes is not None and classes != meta_classes:
            raise ValueError(
                f'classes={list(classes)} conflicts with metainfo.classes='
                f'{list(meta_classes)}: give the class names once')
    return classes


@DATASETS.register_module()
class GroupAnnotationDataset(BaseLTDataset):
    """Your own images with a CSV, OpenMMLab-2.0 JSON or txt annotation file,
    and optionally a ``group_id`` per image (e.g. the image's source).

    A typical folder and config (a complete runnable example:
    ``configs/baselines/convnext-atto_focal_1xb32_own-csv.py``)::

        data/own/classes.txt      # one class name per line: label order
        data/own/train.csv        # filename,label,group_id
        data/own/images/img1.png  # filename is relative to data_prefix

        dict(type='GroupAnnotationDataset', data_root='data/own',
             ann_file='train.csv', data_prefix='images',
             classes='classes.txt', pipeline=[
                 dict(type='StrictLoadImageFromFile'),
                 dict(type='Resize', scale=(80, 60)),
                 dict(type='PackInputs', algorithm_keys=['group_id'])])

    Labels are class indices or class names; a sample without ``group_id``
    is in group 0. Labels, group ids, ``class_counts`` and
    ``group_counts`` are known without decoding any image, also for subsets
    (k-fold).

    Args:
        ann_file: Annotation file (``.csv``, ``.json`` or ``.txt``), relative
            to ``data_root`` unless absolute. Formats: see
            :mod:`mmlt.datasets.annotation_parsers` (a UTF-8 byte-order mark,
            as Excel writes, is fine; a file without rows is refused).
        ann_format: ``'auto'`` (from the extension), ``'csv'``, ``'json'`` or
            ``'txt'``.
        classes: Class names (label index = position), or a file with one
            name per line, looked for under ``data_root`` first, then as
            given. May also come from ``metainfo`` or the JSON file's
            ``metainfo`` (identical if both are given). Duplicate names are
            refused. When no classes are given and every label is a name,
            the classes are the sorted names; integer labels without classes
            are refused, since the number of classes would be a guess.
            Validation and test sets must name the same classes in the same
            order as training (checked when they are evaluated).
        metainfo: MMPretrain's ``metainfo`` dict (``classes``...).
        check_images: Check at load time that every local image exists, and
            raise ``FileNotFoundError`` listing the missing ones (quoted)
            with their annotation lines.
        label_issues: Exclude or relabel the rows a label-issue file names
            (the CSV of ``tools/analysis_tools/find_label_issues.py``):
            ``dict(file='label_issues.csv', action='exclude', top=None,
            match='filename')``. ``file`` is looked for under ``data_root``
            first, then as given; ``action`` is ``'exclude'`` (drop the
            rows) or ``'relabel'`` (give them the file's
            ``suggested_label``); ``top`` keeps the file's first ``top``
            rows by rank (None: all); ``match`` pairs file and annotation
            rows by ``'filename'`` (as written in the annotation, or with
            ``data_prefix`` joined) or by ``'index'`` (position in the
            annotation file). Applied before ``indices=`` and k-fold
            subsets; the count of rows changed is logged. A file row that
            names no annotation row, or whose ``given_label`` is not the
            row's label, raises ``ValueError`` naming it
            (:mod:`mmlt.datasets.label_issue_filter`).
        **kwargs: MMPretrain's ``BaseDataset`` arguments: ``data_root`` (the
            folder ``ann_file``, ``data_prefix`` and a relative classes file
            are joined to), ``data_prefix`` (the images' folder, a string or
            ``dict(img_path=...)``), ``pipeline``, ``test_mode``,
            ``indices``, ``lazy_init``...
    """

    def __init__(self,
                 ann_file: str,
                 ann_format: str = 'auto',
                 classes: Union[str, Sequence[str], None] = None,
                 metainfo: Optional[dict] = None,
                 check_images: bool = True,
                 label_issues: Optional[dict] = None,
                 **kwargs) -> None:
        if ann_format not in ('auto', 'csv', 'json', 'txt'):
            raise ValueError(f'ann_format={ann_format!r} is not one of '
                             '"auto", "csv", "json", "txt"')
        self.ann_format = ann_format
        self.check_images = check_images
        self.label_issues = None if label_issues is None else \
            check_label_issues_option(label_issues)
        classes = resolve_classes(classes, metainfo,
                                  kwargs.get('data_root', None))
        super().__init__(
            ann_file=ann_file, classes=classes, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        classes = self._metainfo.get('classes')
        rows, file_meta = parse_annotation_file(self.ann_file, classes,
                                                self.ann_format)
        if classes is None and 'classes' in file_meta:
            classes = tuple(file_meta['classes'])
            self._metainfo['classes'] = classes
        if classes is None:
            classes = self._classes_from_names(rows)
            self._metainfo['classes'] = classes
        img_prefix = self.data_prefix.get('img_path', '') or ''
        if self.label_issues is not None:
            rows = apply_label_issues(rows, self.label_issues, classes,
                                      img_prefix, self.data_root,
                                      self.ann_file)
        for row in rows:
            row['img_path'] = join_path(img_prefix, row['img_path']) \
                if img_prefix else row['img_path']
        if self.check_images:
            self._check_images_exist(rows, img_prefix)
        for row in rows:
            row['ann_source'] = row.pop('source')
        return rows

    def _classes_from_names(self, rows: List[dict]) -> tuple:
        ints = [r['source'] for r in rows if isinstance(r['gt_label'], int)]
        if ints:
            raise ValueError(
                f'{self.ann_file}: integer labels (first at {ints[0]}) but '
                'no class names: pass classes= (a list or a file), metainfo='
                'dict(classes=...) or a JSON "metainfo", so that the number '
                'of classes is known')
        names = tuple(sorted({r['gt_label'] for r in rows}))
        index = {name: i for i, name in enumerate(names)}
        for r in rows:
            r['gt_label'] = index[r['gt_label']]
        return names

    def _check_images_exist(self, rows: List[dict], img_prefix: str) -> None:
        backend = get_file_backend(img_prefix or rows[0]['img_path']
                                   if rows else '.', enable_singleton=True)
        if not isinstance(backend, LocalBackend):
            return
        missing = [r for r in rows if not osp.isfile(r['img_path'])]
        if missing:
            listed = '\n'.join(f'  {_quoted_path(r["img_path"])} '
                               f'({r["source"]})'
                               for r in missing[:_MAX_LISTED])
            more = len(missing) - _MAX_LISTED
            raise FileNotFoundError(
                f'{len(missing)} image(s) named in {self.ann_file} do not '
                f'exist:\n{listed}' + (f'\n  ... and {more} more'
                                       if more > 0 else ''))
