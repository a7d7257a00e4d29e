"""Write annotation rows back as CSV, OpenMMLab-2.0 JSON or txt lists."""
import csv
import json
import os
import os.path as osp
from typing import List, Optional, Sequence

from .annotation_parsers import infer_format

__all__ = ['write_annotation_file']

_INTERNAL = ('img_path', 'gt_label', 'group_id', 'source')


def _label(row: dict, classes: Optional[Sequence[str]]):
    label = row['gt_label']
    if classes is not None and isinstance(label, int):
        return classes[label]
    return label


def write_annotation_file(rows: List[dict], path: str,
                          classes: Optional[Sequence[str]] = None,
                          ann_format: str = 'auto') -> str:
    """Write ``rows`` (as returned by the parsers) to ``path``.

    Labels are written as class names when ``classes`` is given. CSV keeps
    every extra column; txt keeps path, label and group id only (it has no
    room for more) and refuses rows with extra fields rather than drop them,
    and file names with whitespace, which its own parser could not read
    back. Nothing is written when a row is refused.
    """
    if ann_format == 'auto':
        ann_format = infer_format(path)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    extras = sorted({k for r in rows for k in r if k not in _INTERNAL})
    if ann_format == 'csv':
        with open(path, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['filename', 'label', 'group_id'] + extras)
            for r in rows:
                writer.writerow([r['img_path'], _label(r, classes),
                                 r.get('group_id', 0)] +
                                [r.get(k, '') for k in extras])
    elif ann_format == 'json':
        data_list = []
        for r in rows:
            item = {k: v for k, v in r.items() if k != 'source'}
            data_list.append(item)
        content = dict(data_list=data_list)
        if classes is not None:
            content['metainfo'] = dict(classes=list(classes))
        with open(path, 'w') as f:
            json.dump(content, f, indent=1)
    elif ann_format == 'txt':
        if extras:
            raise ValueError(f'{path}: the txt format cannot hold the extra '
                             f'fields {extras}; write .csv or .json')
        spaced = [r['img_path'] for r in rows
                  if len(str(r['img_path']).split()) != 1]
        if spaced:
            raise ValueError(
                f'{path}: the txt format separates columns by whitespace, so '
                f'it cannot hold the file name(s) {spaced[:5]!r}'
                f'{" ..." if len(spaced) > 5 else ""} ({len(spaced)} in '
                'all); nothing was written: write .csv or .json instead')
        with open(path, 'w') as f:
            for r in rows:
                f.write(f'{r["img_path"]} {r["gt_label"]} '
                        f'{r.get("group_id", 0)}\n')
    else:
        raise ValueError(f'ann_format={ann_format!r} is not one of "csv", '
                         '"json", "txt"')
    return path
