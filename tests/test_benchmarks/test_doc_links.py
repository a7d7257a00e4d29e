"""Links into docs/benchmarks.md from the README and the config READMEs
name a heading that exists (GitHub's anchors), so a re-rendered section
title does not leave a dead link."""
import glob
import os.path as osp
import re

import pytest

from benchmarks.page import github_anchor

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BENCH = osp.join(ROOT, 'docs', 'benchmarks.md')


def test_github_anchor():
    assert github_anchor('Group lift, rare group 1 (Fashion-MNIST-LT, 10% '
                         'of each class)') == \
        'group-lift-rare-group-1-fashion-mnist-lt-10-of-each-class'
    assert github_anchor('The recipes (configs/recipes/): V1 to V4') == \
        'the-recipes-configsrecipes-v1-to-v4'


def _anchors():
    with open(BENCH) as f:
        return {github_anchor(line.lstrip('#')) for line in f
                if line.startswith('#')}


DOCS = [osp.join(ROOT, 'README.md'),
        osp.join(ROOT, 'docs', 'reference.md')] + sorted(
    glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')))


@pytest.mark.parametrize('path', DOCS, ids=lambda p: osp.relpath(p, ROOT))
def test_links_into_benchmarks_name_existing_headings(path):
    anchors = _anchors()
    with open(path) as f:
        text = f.read()
    links = re.findall(r'benchmarks\.md#([\w\-]+)', text)
    missing = [a for a in links if a not in anchors]
    assert not missing, f'{osp.relpath(path, ROOT)}: dead links {missing}'
