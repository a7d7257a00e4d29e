"""The own-data-kfold section of docs/benchmarks.md re-renders, from the run
records in benchmarks/results/own-data-kfold alone, to the text the page
shows (a figure typed into the page fails here); its data plan's counts are
the section's, and its noise lines follow the page's rule."""
import os.path as osp
import re
import shlex

from benchmarks import own_data_kfold as odk
from benchmarks import page
from benchmarks.common import ROOT

PROVENANCE = ('- Code:', '- Machine:')


def _section() -> str:
    with open(osp.join(ROOT, 'docs', 'benchmarks.md')) as f:
        _, blocks, _ = page.split_page(f.read())
    return blocks[odk.SECTION].split('\n', 1)[1].rsplit('\n', 1)[0]


def _figures(body: str):
    return [line for line in body.strip().splitlines()
            if not line.startswith(PROVENANCE)]


def test_page_section_equals_its_records():
    shown = _section()
    command = re.search(r'^- Command: `(.+)`$', shown, re.M).group(1)
    argv = shlex.split(command)[3:]  # after python -m benchmarks.<module>
    args = dict(seeds=[0, 1, 2], folds=[2, 3], epochs=30)
    assert not any(a in argv for a in ('--seeds', '--folds', '--epochs')), (
        'the page was written with other rows than the defaults: teach this '
        'test to read them')
    rows = ['full'] + [f'kfold-{k}' for k in args['folds']]
    results = odk.read_records(rows, args['seeds'])
    assert {r: len(v) for r, v in results.items()} == {r: 3 for r in rows}
    rendered = odk.render(results, odk.training_counts(), command,
                          args['epochs'])
    assert _figures(rendered) == _figures(shown)


def test_a_changed_record_changes_the_section():
    """The comparison can fail: one figure moved is another section."""
    rows = ['full', 'kfold-2', 'kfold-3']
    results = odk.read_records(rows, [0, 1, 2])
    before = odk.render(results, odk.training_counts(), 'x', 30)
    results['kfold-3'][0] = dict(results['kfold-3'][0],
                                 balanced_accuracy=99.0)
    after = odk.render(results, odk.training_counts(), 'x', 30)
    assert _figures(before) != _figures(after)
