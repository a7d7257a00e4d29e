"""Exclude or relabel the annotation rows a label-issue file names.

The file is the CSV that ``tools/analysis_tools/find_label_issues.py``
writes (:mod:`mmlt.analysis.label_issues`): one row per suspected label
error, best suspect first, with the columns

* ``rank`` (1 = most suspect; optional: file order otherwise),
* ``index`` — the row's position in the annotation file (0-based, data rows
  only, before any ``indices=``/k-fold subset),
* ``filename`` — the image as the annotation names it (relative to
  ``data_prefix``), or the path the dataset reads (``data_prefix`` joined),
* ``given_label`` — the label the annotation gives (class index),
* ``suggested_label`` — the label to use instead (class index; needed for
  ``action='relabel'``),
* ``given_class`` (optional) — the name of ``given_label``, checked against
  the dataset's classes so that a file made with another class order is
  refused.

Other columns are ignored. Rows are matched by ``filename`` (the default:
it survives re-ordered or extended annotation files) or by ``index``
(``match='index'``; for annotations that list one file several times with
different labels). Every matched annotation row must still carry the
file's ``given_label``: a file made from an older annotation is refused
rather than applied to rows it was not computed for. A file naming rows the
annotation does not have is refused with a ``ValueError`` naming them.

:func:`apply_label_issues` is what ``GroupAnnotationDataset(label_issues=
dict(file=..., action=..., top=..., match=...))`` runs when it loads its
annotations; it logs how many rows it excluded or relabelled.
"""
import csv
import logging
from typing import Any, Dict, List, Optional, Sequence

from mmengine.fileio import join_path
from mmengine.logging import print_log

from .annotation_parsers import data_file_path

__all__ = [
    'LABEL_ISSUE_ACTIONS', 'LABEL_ISSUE_MATCH', 'check_label_issues_option',
    'read_label_issue_file', 'apply_label_issues'
]

LABEL_ISSUE_ACTIONS = ('exclude', 'relabel')
LABEL_ISSUE_MATCH = ('filename', 'index')
_OPTION_KEYS = ('file', 'action', 'top', 'match')
_MAX_LISTED = 10

Row = Dict[str, Any]


def check_label_issues_option(option: Any) -> Dict[str, Any]:
    """The validated ``label_issues=`` option of a dataset.

    Args:
        option: ``dict(file=PATH, action='exclude'|'relabel', top=None|N,
            match='filename'|'index')``; ``file`` is required, ``action``
            defaults to ``'exclude'``, ``top`` to every row of the file,
            ``match`` to ``'filename'``.

    Returns:
        The option with every key present.

    Raises:
        ValueError: Naming an unknown key, a missing file name, or a bad
            ``action``, ``top`` or ``match``.
    """
    if not isinstance(option, dict):
        raise ValueError(f'label_issues={option!r} must be a dict such as '
                         "dict(file='label_issues.csv', action='exclude')")
    unknown = sorted(set(option) - set(_OPTION_KEYS))
    if unknown:
        raise ValueError(f'label_issues has unknown key(s) {unknown}; known: '
                         f'{list(_OPTION_KEYS)}')
    file = option.get('file')
    if not isinstance(file, str) or not file.strip():
        raise ValueError(f'label_issues.file={file!r} must name the CSV '
                         'written by tools/analysis_tools/'
                         'find_label_issues.py')
    action = option.get('action', 'exclude')
    if action not in LABEL_ISSUE_ACTIONS:
        raise ValueError(f'label_issues.action={action!r} is not one of '
                         f'{list(LABEL_ISSUE_ACTIONS)}')
    top = option.get('top')
    if top is not None and (isinstance(top, bool) or not isinstance(top, int)
                            or top < 1):
        raise ValueError(f'label_issues.top={top!r} must be None (every row '
                         'of the file) or a positive integer')
    match = option.get('match', 'filename')
    if match not in LABEL_ISSUE_MATCH:
        raise ValueError(f'label_issues.match={match!r} is not one of '
                         f'{list(LABEL_ISSUE_MATCH)}')
    return dict(file=file, action=action, top=top, match=match)


def _int(text: str, column: str, where: str, required: bool) -> Optional[int]:
    text = (text or '').strip()
    if not text:
        if required:
            raise ValueError(f'{where}: empty {column!r}')
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f'{where}: {column}={text!r} is not an integer') \
            from None
    if value < 0:
        raise ValueError(f'{where}: {column}={value} is negative')
    return value


def read_label_issue_file(path: str,
                          match: str = 'filename',
                          action: str = 'exclude',
                          top: Optional[int] = None) -> List[Row]:
    """The issues of a label-issue CSV, best suspect first.

    Args:
        path: The CSV (see the module docstring for its columns).
        match: ``'filename'`` or ``'index'``: the column that must be
            present and filled in every row.
        action: ``'relabel'`` also needs ``suggested_label`` in every row.
        top: Keep only the first ``top`` rows by ``rank`` (file order
            without a ``rank`` column); None keeps every row.

    Returns:
        One dict per kept row: ``rank``, ``index`` (int or None),
        ``filename`` (str, may be empty), ``given_label``,
        ``suggested_label`` (int or None), ``given_class`` (str, may be
        empty) and ``where`` (``'file:line'``).

    Raises:
        ValueError: Naming the file and line of a missing column or a
            malformed value, or a ``rank`` given twice.
    """
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValueError(f'{path}: empty label-issue file, expected a '
                             'header row') from None
        required = [match, 'given_label'] + (['suggested_label']
                                             if action == 'relabel' else [])
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(f'{path}:1: header {header} lacks the column(s) '
                             f'{missing} (needed for match={match!r}, '
                             f'action={action!r})')
        issues = []
        for fields in reader:
            if not fields or all(not x.strip() for x in fields):
                continue
            where = f'{path}:{reader.line_num}'
            if len(fields) != len(header):
                raise ValueError(f'{where}: expected {len(header)} columns '
                                 f'({",".join(header)}), got {len(fields)}')
            rec = dict(zip(header, fields))
            issue = dict(
                rank=_int(rec.get('rank', ''), 'rank', where, False),
                index=_int(rec.get('index', ''), 'index', where,
                           match == 'index'),
                filename=rec.get('filename', ''),
                given_label=_int(rec['given_label'], 'given_label', where,
                                 True),
                suggested_label=_int(rec.get('suggested_label', ''),
                                     'suggested_label', where,
                                     action == 'relabel'),
                given_class=rec.get('given_class', '').strip(),
                where=where)
            if match == 'filename' and not issue['filename'].strip():
                raise ValueError(f'{where}: empty filename (match='
                                 "'filename' needs one in every row)")
            issues.append(issue)
    ranks = [i['rank'] for i in issues if i['rank'] is not None]
    if len(ranks) != len(set(ranks)):
        dup = sorted({r for r in ranks if ranks.count(r) > 1})
        raise ValueError(f'{path}: rank(s) {dup[:_MAX_LISTED]} appear more '
                         'than once')
    if ranks and len(ranks) != len(issues):
        raise ValueError(f'{path}: some rows have a rank and some do not; '
                         'fill the rank column in every row or in none')
    if ranks:
        issues.sort(key=lambda i: i['rank'])
    return issues if top is None else issues[:top]


def _listed(items: Sequence[str]) -> str:
    more = len(items) - _MAX_LISTED
    return '\n'.join(f'  {x}' for x in items[:_MAX_LISTED]) + (
        f'\n  ... and {more} more' if more > 0 else '')


def _match_rows(rows: Sequence[Row], issues: Sequence[Row], match: str,
                img_prefix: str, source: str) -> List[List[int]]:
    """For every issue, the positions of the annotation rows it names."""
    def joined(name: str) -> str:
        return join_path(img_prefix, name) if img_prefix else name

    matched: List[List[int]] = []
    absent = []
    if match == 'filename':
        by_name: Dict[str, List[int]] = {}
        for pos, row in enumerate(rows):
            for key in {row['img_path'], joined(row['img_path'])}:
                by_name.setdefault(key, []).append(pos)
        for issue in issues:
            positions = by_name.get(issue['filename'], [])
            if not positions:
                absent.append(f'{issue["filename"]!r} ({issue["where"]})')
            matched.append(positions)
    else:
        for issue in issues:
            pos = issue['index']
            if pos >= len(rows):
                absent.append(f'index {pos} ({issue["where"]}; the '
                              f'annotation has {len(rows)} rows)')
                matched.append([])
                continue
            name = issue['filename']
            if name and name not in (rows[pos]['img_path'],
                                     joined(rows[pos]['img_path'])):
                absent.append(
                    f'index {pos} named {name!r} ({issue["where"]}), but '
                    f'that row is {rows[pos]["img_path"]!r} '
                    f'({rows[pos]["source"]})')
            matched.append([pos])
    if absent:
        raise ValueError(
            f'{len(absent)} row(s) of the label-issue file {source} do not '
            f'exist in the annotation (matched by {match}):\n'
            f'{_listed(absent)}')
    return matched


def apply_label_issues(rows: List[Row],
                       option: Dict[str, Any],
                       classes: Sequence[str],
                       img_prefix: str = '',
                       data_root: Optional[str] = None,
                       ann_file: str = '') -> List[Row]:
    """Exclude or relabel the annotation rows a label-issue file names.

    Args:
        rows: Parsed annotation rows (``img_path`` as written, integer
            ``gt_label``, ``source``), in file order.
        option: The dataset's ``label_issues`` option (see
            :func:`check_label_issues_option`).
        classes: The dataset's class names (label index = position).
        img_prefix: The images' folder, to also match ``filename`` given as
            the joined path.
        data_root: Folder a relative issue file is looked for in first.
        ann_file: The annotation file, for messages.

    Returns:
        The rows without the excluded ones, or with ``gt_label`` replaced
        by ``suggested_label`` for the relabelled ones (the given list is
        not changed).

    Raises:
        ValueError: Naming issue rows that match no annotation row, rows
            whose label differs from the file's ``given_label`` or whose
            ``given_class`` is not the dataset's name of that label,
            suggested labels out of range, or one row given two different
            suggested labels.
    """
    option = check_label_issues_option(option)
    path = data_file_path(option['file'], data_root, 'label_issues file')
    action, match = option['action'], option['match']
    issues = read_label_issue_file(path, match, action, option['top'])
    matched = _match_rows(rows, issues, match, img_prefix, path)
    stale, bad_class, bad_label, target = [], [], [], {}
    num_classes = len(classes)
    for issue, positions in zip(issues, matched):
        given = issue['given_label']
        if issue['given_class'] and (given >= num_classes or
                                     classes[given] != issue['given_class']):
            bad_class.append(
                f'{issue["where"]}: given_label {given} is named '
                f'{issue["given_class"]!r} in the file but is '
                + (repr(classes[given]) if given < num_classes else
                   'out of range') + ' in the dataset')
        suggested = issue['suggested_label']
        if action == 'relabel' and suggested >= num_classes:
            bad_label.append(f'{issue["where"]}: suggested_label {suggested} '
                             f'(valid: 0..{num_classes - 1})')
        for pos in positions:
            if rows[pos]['gt_label'] != given:
                stale.append(f'{rows[pos]["img_path"]!r} '
                             f'({rows[pos]["source"]}) has label '
                             f'{rows[pos]["gt_label"]}, the file says '
                             f'given_label {given} ({issue["where"]})')
            if action == 'relabel' and target.get(pos, suggested) != \
                    suggested:
                bad_label.append(f'{issue["where"]}: suggests {suggested} for '
                                 f'{rows[pos]["img_path"]!r}, an earlier row '
                                 f'suggested {target[pos]}')
            target[pos] = suggested
    for problems, what in (
        (bad_class, 'name classes in another order than the dataset '
         f'{list(classes)}'),
        (bad_label, 'have an unusable suggested_label'),
        (stale, 'do not match the annotation\'s current labels (the file '
         'was made from another version of it)'),
    ):
        if problems:
            raise ValueError(f'{len(problems)} row(s) of the label-issue '
                             f'file {path} {what}:\n{_listed(problems)}')
    where = (f'{path} ({len(issues)} issue row(s)' +
             (f', top={option["top"]}' if option['top'] else '') +
             f', matched by {match})')
    if action == 'exclude':
        kept = [row for pos, row in enumerate(rows) if pos not in target]
        if not kept:
            raise ValueError(f'the label-issue file {path} names every one '
                             f'of the {len(rows)} rows of {ann_file}: '
                             'nothing would remain to train on')
        names = [rows[pos]['img_path'] for pos in sorted(target)]
        print_log(
            f'label_issues: excluded {len(target)} of {len(rows)} rows of '
            f'{ann_file} listed in {where}; {len(kept)} rows remain. '
            f'Excluded: {names[:_MAX_LISTED]}'
            + (f' and {len(names) - _MAX_LISTED} more'
               if len(names) > _MAX_LISTED else ''),
            logger='current', level=logging.INFO)
        return kept
    out = [dict(row) for row in rows]
    changed = [pos for pos in sorted(target)
               if target[pos] != rows[pos]['gt_label']]
    for pos in changed:
        out[pos]['gt_label'] = target[pos]
    shown = [f'{rows[p]["img_path"]} {classes[rows[p]["gt_label"]]}->'
             f'{classes[target[p]]}' for p in changed[:_MAX_LISTED]]
    print_log(
        f'label_issues: relabelled {len(changed)} of {len(rows)} rows of '
        f'{ann_file} to the suggested label listed in {where}: {shown}'
        + (f' and {len(changed) - _MAX_LISTED} more'
           if len(changed) > _MAX_LISTED else ''),
        logger='current', level=logging.INFO)
    same = len(target) - len(changed)
    if same:
        print_log(
            f'label_issues: {same} row(s) of {ann_file} named in {path} '
            'keep their label: the suggested label is the given one (a '
            'high-loss image the model still assigns to its class; exclude '
            'or inspect it instead)',
            logger='current', level=logging.WARNING)
    return out
