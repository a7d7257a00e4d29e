"""Pure parsers for group-aware classification annotation files.

Three formats are read, each into a list of dicts with the keys
``img_path`` (relative, as written), ``gt_label`` (int), ``group_id`` (int,
0 when absent) plus any extra columns, and ``source`` (``'file:line'`` or
``'file:data_list[i]'``, used in error messages):

* CSV with a header row: columns ``filename``, ``label`` and optional
  ``group_id``; any other column is kept as an extra field (numbers are
  converted to float, e.g. a ``weight`` column).
* OpenMMLab 2.0 JSON: ``{"metainfo": {"classes": [...]}, "data_list":
  [{"img_path": ..., "gt_label": ..., "group_id": ...}, ...]}``.
* MMPretrain's txt list: ``path label`` or ``path label group_id`` per line
  (whitespace-separated, so a path cannot contain spaces: use CSV or JSON).

Files may start with a UTF-8 byte-order mark (as Excel writes them). A file
without any annotation row (e.g. a header-only CSV) is refused.

A label is either a class index or a class name. Every malformed row raises
``ValueError`` naming the file and the line (or ``data_list`` item).
"""
import csv
import json
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = [
    'parse_annotation_file', 'parse_csv', 'parse_json', 'parse_txt',
    'parse_label', 'parse_group_id', 'infer_format', 'check_class_names',
    'read_class_file', 'data_file_path'
]

Row = Dict[str, Any]


def check_class_names(names: Sequence[Any], where: str) -> Tuple[str, ...]:
    """Validated class names: non-empty strings, each once.

    Args:
        names: The class names, in label-index order.
        where: What holds them (a file, ``classes=``), for the message.

    Raises:
        ValueError: Naming ``where`` and every duplicate or empty name.
    """
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise ValueError(f'{where}: classes must be a list of names, got '
                         f'{names!r}')
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        raise ValueError(f'{where}: class names must be non-empty strings, '
                         f'got {bad}')
    seen, duplicates = set(), []
    for name in names:
        if name in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    if duplicates:
        raise ValueError(
            f'{where}: duplicate class name(s) {duplicates} (each name must '
            'appear once: its position is its label index)')
    return tuple(names)


def data_file_path(path: str, data_root: Optional[str], what: str) -> str:
    """Where a file that a dataset option names is (a classes file, a
    label-issue file): an absolute path as is; a relative one under
    ``data_root`` (as ``ann_file``) if it is there, else as given (relative
    to the working directory, as MMPretrain reads it).

    Raises:
        FileNotFoundError: Naming ``what`` and every place looked at.
    """
    path = osp.expanduser(path)
    candidates = [path] if osp.isabs(path) or not data_root else \
        [osp.join(data_root, path), path]
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'{what} {path!r} not found (looked for '
        f'{" and ".join(map(repr, candidates))})')


def read_class_file(path: str) -> Tuple[str, ...]:
    """Class names from a file, one per line (label index = line order).

    Surrounding spaces are stripped; blank lines at the end are ignored, a
    blank line between names is an error (it would shift every index).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'classes file not found: {path}')
    with open(path, encoding='utf-8-sig') as f:
        lines = [line.strip() for line in f.read().splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    blank = [i for i, line in enumerate(lines, start=1) if not line]
    if blank:
        raise ValueError(f'{path}:{blank[0]}: empty line between class '
                         'names (the line order gives the label index)')
    if not lines:
        raise ValueError(f'{path}: no class names')
    return check_class_names(lines, f'classes file {path}')


def parse_label(value: Any, classes: Optional[Sequence[str]],
                where: str) -> Any:
    """Turn a label written in an annotation into a class index.

    Args:
        value: An int, a string holding an int, or a class name.
        classes: Known class names, or None (then names are returned as
            strings and resolved later by :func:`resolve_labels`).
        where: ``file:line`` for the error message.

    Returns:
        int | str: The class index, or the class name when ``classes`` is
        None and the label is not an integer.
    """
    if isinstance(value, bool):
        raise ValueError(f'{where}: label {value!r} is not a class index or '
                         'class name')
    if isinstance(value, int):
        index = value
    elif isinstance(value, float) and value.is_integer():
        index = int(value)
    elif isinstance(value, str) and value.strip() != '':
        text = value.strip()
        if classes is not None and text in classes:
            return list(classes).index(text)
        try:
            index = int(text)
        except ValueError:
            if classes is None:
                return text
            raise ValueError(
                f'{where}: unknown class name {text!r}; known classes: '
                f'{list(classes)}') from None
    else:
        raise ValueError(f'{where}: label {value!r} is not an integer class '
                         'index or a class name')
    if classes is not None and not 0 <= index < len(classes):
        raise ValueError(f'{where}: label {index} is out of range for '
                         f'{len(classes)} classes (valid: 0..'
                         f'{len(classes) - 1})')
    if index < 0:
        raise ValueError(f'{where}: label {index} is negative')
    return index


def parse_group_id(value: Any, where: str) -> int:
    """Parse a group id: a non-negative integer; empty/None means group 0."""
    if value is None or (isinstance(value, str) and value.strip() == ''):
        return 0
    if isinstance(value, bool):
        raise ValueError(f'{where}: group_id {value!r} is not an integer')
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError(f'{where}: group_id {value!r} is not a '
                             'non-negative integer') from None
    if not isinstance(value, int):
        raise ValueError(f'{where}: group_id {value!r} is not a non-negative '
                         'integer')
    if value < 0:
        raise ValueError(f'{where}: group_id {value} is negative')
    return value


def _extra_value(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def parse_csv(path: str, classes: Optional[Sequence[str]] = None
              ) -> List[Row]:
    """Parse a CSV annotation file (header ``filename,label[,group_id,..]``).
    """
    rows: List[Row] = []
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValueError(f'{path}:1: empty CSV file, expected a header '
                             'row with columns filename,label') from None
        for required in ('filename', 'label'):
            if required not in header:
                raise ValueError(f'{path}:1: header {header} lacks the '
                                 f'column {required!r}')
        if len(set(header)) != len(header):
            raise ValueError(f'{path}:1: duplicate column in header '
                             f'{header}')
        for fields in reader:
            line = reader.line_num
            if not fields or all(not x.strip() for x in fields):
                continue
            where = f'{path}:{line}'
            if len(fields) != len(header):
                raise ValueError(f'{where}: expected {len(header)} columns '
                                 f'({",".join(header)}), got {len(fields)}: '
                                 f'{fields}')
            record = dict(zip(header, (x.strip() for x in fields)))
            # the file name as written: spaces may be part of a real name,
            # and messages quote it so that a stray one shows
            filename = fields[header.index('filename')]
            record.pop('filename')
            if not filename.strip():
                raise ValueError(f'{where}: empty filename')
            row: Row = dict(
                img_path=filename,
                gt_label=parse_label(record.pop('label'), classes, where),
                group_id=parse_group_id(record.pop('group_id', None), where),
                source=where)
            for key, value in record.items():
                row[key] = _extra_value(value)
            rows.append(row)
    return rows


def parse_txt(path: str, classes: Optional[Sequence[str]] = None
              ) -> List[Row]:
    """Parse MMPretrain's ``path label [group_id]`` list file."""
    rows: List[Row] = []
    with open(path, encoding='utf-8-sig') as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            where = f'{path}:{line_no}'
            if len(fields) not in (2, 3):
                raise ValueError(f'{where}: expected "path label" or "path '
                                 f'label group_id", got {len(fields)} '
                                 f'columns: {line.rstrip()!r} (a file name '
                                 'with spaces needs the CSV or JSON format)')
            rows.append(
                dict(
                    img_path=fields[0],
                    gt_label=parse_label(fields[1], classes, where),
                    group_id=parse_group_id(
                        fields[2] if len(fields) == 3 else None, where),
                    source=where))
    return rows


def parse_json(path: str, classes: Optional[Sequence[str]] = None
               ) -> Tuple[List[Row], dict]:
    """Parse an OpenMMLab 2.0 JSON file. Returns ``(rows, metainfo)``."""
    with open(path, encoding='utf-8-sig') as f:
        try:
            content = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}:{e.lineno}: invalid JSON: {e.msg}') \
                from e
    if not isinstance(content, dict) or not isinstance(
            content.get('data_list'), list):
        raise ValueError(f'{path}: expected an object with a "data_list" '
                         'list (OpenMMLab 2.0 annotation format)')
    metainfo = content.get('metainfo', {}) or {}
    if 'classes' in metainfo:
        file_classes = check_class_names(metainfo['classes'],
                                         f'{path}: metainfo.classes')
        if classes is None:
            classes = file_classes
        elif list(classes) != list(file_classes):
            raise ValueError(
                f'{path}: metainfo.classes {list(file_classes)} conflicts '
                f'with the configured classes {list(classes)}; the label '
                'indices of the file follow its own metainfo: remove one '
                'of the two or make them identical')
    rows: List[Row] = []
    for i, item in enumerate(content['data_list']):
        where = f'{path}:data_list[{i}]'
        if not isinstance(item, dict):
            raise ValueError(f'{where}: expected an object, got {item!r}')
        if 'img_path' not in item or 'gt_label' not in item:
            raise ValueError(f'{where}: needs "img_path" and "gt_label", got '
                             f'keys {sorted(item)}')
        row = dict(item)
        row['gt_label'] = parse_label(item['gt_label'], classes, where)
        row['group_id'] = parse_group_id(item.get('group_id'), where)
        row['source'] = where
        rows.append(row)
    return rows, metainfo


def infer_format(path: str) -> str:
    """The annotation format from the file extension."""
    ext = osp.splitext(path)[1].lower()
    formats = {'.csv': 'csv', '.json': 'json', '.txt': 'txt', '.lst': 'txt'}
    if ext not in formats:
        raise ValueError(f'cannot infer the annotation format of {path!r} '
                         f'from its extension; pass ann_format as one of '
                         f'{sorted(set(formats.values()))}')
    return formats[ext]


def parse_annotation_file(path: str,
                          classes: Optional[Sequence[str]] = None,
                          ann_format: str = 'auto'
                          ) -> Tuple[List[Row], dict]:
    """Parse any supported annotation file. Returns ``(rows, metainfo)``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file not found: {path}')
    if ann_format == 'auto':
        ann_format = infer_format(path)
    if ann_format == 'csv':
        rows, meta = parse_csv(path, classes), {}
    elif ann_format == 'txt':
        rows, meta = parse_txt(path, classes), {}
    elif ann_format == 'json':
        rows, meta = parse_json(path, classes)
    else:
        raise ValueError(f'ann_format={ann_format!r} is not one of "auto", '
                         '"csv", "json", "txt"')
    if not rows:
        what = {'csv': 'only a header, no annotation row',
                'txt': 'no annotation line',
                'json': 'an empty "data_list"'}[ann_format]
        raise ValueError(f'no rows in {path}: it has {what}')
    return rows, meta
