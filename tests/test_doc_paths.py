"""Every repository path that README.md, docs/*.md and configs/**/README.md
name exists: paths written out (``configs/losses/ldam-drw_*``, braces
expanded, ``<name>`` and ``*`` as wildcards that must match something) and
relative Markdown links. The old paths a ``moved.yml`` table lists (what a
path used to be) are the only exception."""
import glob
import os.path as osp
import re
from typing import Iterator, List

import pytest

from mmlt.utils.moved_configs import MOVED_FILE, read_moved_table

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOCS = sorted(
    [osp.join(ROOT, 'README.md')] +
    glob.glob(osp.join(ROOT, 'docs', '*.md')) +
    glob.glob(osp.join(ROOT, 'configs', '**', 'README.md'), recursive=True))
# top-level entries of the repository a written-out path starts with
TOP = ('configs', 'tools', 'mmlt', 'benchmarks', 'docs', 'tests',
       'requirements')
PATH = re.compile(r'(?<![\w./{<-])((?:%s)/[\w./{},*<>-]*)' % '|'.join(TOP))
LINK = re.compile(r'\]\(([^)\s]+)\)')


def expand_braces(text: str) -> List[str]:
    """``a{b,c}d`` -> ``['abd', 'acd']``, as the shell expands braces
    (nested groups too); text without braces as it is."""
    start = text.find('{')
    if start < 0:
        return [text]
    depth, parts, begin = 0, [], start + 1
    for i in range(start, len(text)):
        if text[i] == '{':
            depth += 1
        elif text[i] == '}':
            depth -= 1
            if depth == 0:
                parts.append(text[begin:i])
                break
        elif text[i] == ',' and depth == 1:
            parts.append(text[begin:i])
            begin = i + 1
    else:
        return [text]  # unbalanced: not a brace group
    rest = expand_braces(text[i + 1:])
    return [text[:start] + p + r for part in parts
            for p in expand_braces(part) for r in rest]


def written_paths(text: str) -> Iterator[str]:
    """Repository paths written out in ``text``, braces expanded."""
    for match in PATH.finditer(text):
        path = match.group(1).rstrip('.,')
        if path.count('{') != path.count('}'):
            continue  # a brace group cut by the line: not a path
        yield from expand_braces(path)


def _exists(path: str) -> bool:
    pattern = re.sub(r'<[^<>]*>', '*', path)
    if '*' in pattern:
        return bool(glob.glob(osp.join(ROOT, pattern)))
    return osp.exists(osp.join(ROOT, pattern))


def _old_paths() -> set:
    return {row.old for moved in glob.glob(
        osp.join(ROOT, 'configs', '*', MOVED_FILE))
            for row in read_moved_table(moved)}


def test_expand_braces():
    assert expand_braces('configs/baselines/convnext-atto_{ce,focal}_x.py') \
        == ['configs/baselines/convnext-atto_ce_x.py',
            'configs/baselines/convnext-atto_focal_x.py']
    assert expand_braces('a{b,c{d,e}}f') == ['abf', 'acdf', 'acef']
    assert list(written_paths('see `configs/{lt,heads}/`, and tools/x.py.'))\
        == ['configs/lt/', 'configs/heads/', 'tools/x.py']


def test_a_renamed_path_is_found(tmp_path):
    """The check itself fails on a path that does not exist."""
    text = ('train `configs/lt/convnext_focal.py`; see '
            '`configs/baselines/convnext-atto_{ce,focal}_1xb128_'
            'fashion-mnist-lt-ir100.py` and configs/losses/<method>_x.py')
    missing = [p for p in written_paths(text) if not _exists(p)]
    assert missing == [
        'configs/baselines/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py',
        'configs/baselines/convnext-atto_focal_1xb128_fashion-mnist-lt-'
        'ir100.py', 'configs/losses/<method>_x.py'
    ]


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: osp.relpath(p, ROOT))
def test_named_paths_exist(doc):
    with open(doc) as f:
        text = f.read()
    old = _old_paths()
    missing = sorted({p for p in written_paths(text)
                      if p not in old and not _exists(p)})
    folder = osp.dirname(doc)
    for link in LINK.findall(text):
        target = link.split('#')[0]
        if not target or re.match(r'^[a-z]+:', target):
            continue  # an anchor in the page, or a URL
        if not osp.exists(osp.join(folder, target)):
            missing.append(f'link ({link})')
    assert not missing, (f'{osp.relpath(doc, ROOT)} names paths that do not '
                         f'exist: {missing}')
