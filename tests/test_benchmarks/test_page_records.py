"""Every section of docs/benchmarks.md whose runs are kept in
benchmarks/results re-renders, from those records alone, to the text the
page shows: a figure typed into the page (or into a config README, which
sync_config_results copies from it), or a renderer change that moves a
figure, fails here.

Nothing is trained: a section of ``lt_benchmark`` is rendered with
``--render-only`` from the command its page section prints (so that
command keeps parsing, and an empty work dir leaves the records as the only
source); a section of ``lt_evidence`` by its renderer module, from the
records of each protocol it reads (a protocol without records as no runs),
after checking that its printed command names it; a section whose own
command keeps its records (``benchmarks.advisor_check``) by that command's
``render_records`` with the arguments its printed command gave. Lines that
say where and when a section was rendered, not what it measured, are left
out of the comparison: ``- Code:`` (the commit), ``- Machine:`` (the
machine and date of the rendering) and ``- Note:`` (context typed with
``--note``).
"""
import importlib
import os.path as osp
import re
import shlex
import subprocess
from typing import Dict, List

import pytest

from benchmarks import lt_benchmark, lt_evidence, page
from benchmarks.common import RECORDS_PREFIX, ROOT
from benchmarks.lt_results import Results

DOC = osp.join(ROOT, 'docs', 'benchmarks.md')
RECORDS = osp.join(ROOT, RECORDS_PREFIX.rstrip('/'))
PROVENANCE = ('- Code:', '- Machine:', '- Note:')
KEPT = [s.name for s in page.SECTIONS if s.records]


def _figures(body: str) -> List[str]:
    """``body``'s lines but the provenance ones."""
    return [line for line in body.strip().splitlines()
            if not line.startswith(PROVENANCE)]


@pytest.fixture(scope='module')
def sections() -> Dict[str, str]:
    with open(DOC) as f:
        _, blocks, _ = page.split_page(f.read())
    return {name: block.split('\n', 1)[1].rsplit('\n', 1)[0]
            for name, block in blocks.items()}


@pytest.fixture(scope='module')
def results_of(tmp_path_factory) -> Dict[str, Results]:
    """``{protocol: results}`` of every protocol an evidence section reads,
    from an empty work dir: the records are all there is."""
    work = tmp_path_factory.mktemp('work')
    return lt_evidence.read_protocols(
        [p for s in page.SECTIONS if s.renderer
         for p in lt_evidence.section_protocols(s.name)], str(work), RECORDS)


def test_the_records_are_tracked():
    """What the re-rendering reads is in the repository, so a fresh clone
    (CI) checks the page too."""
    tracked = subprocess.run(
        ['git', 'ls-files', '--', RECORDS_PREFIX + 'converged'], cwd=ROOT,
        capture_output=True, text=True)
    if tracked.returncode:
        pytest.skip('not a git checkout')
    names = tracked.stdout.split()
    assert sum(n.endswith('/result.json') for n in names) >= 3 * 50
    assert any(n.endswith('/per_class.csv') for n in names)
    assert any(n.endswith('/vis_data/scalars.json') for n in names)


def test_every_record_backed_section_is_on_the_page(sections):
    assert len(KEPT) >= 15
    assert set(KEPT) <= set(sections), set(KEPT) - set(sections)


@pytest.mark.parametrize('name', KEPT)
def test_section_re_renders_from_the_records(name, sections, results_of,
                                             tmp_path):
    body = sections[name]
    script = page.section(name).script
    if script == 'benchmarks.lt_benchmark':
        command = re.search(r'```bash\n(python -m \S+ .*?)\n```', body,
                            re.S).group(1)
        argv = shlex.split(command)
        assert argv[:3] == ['python', '-m', script], command
        args = lt_benchmark.parse_args(
            argv[3:] + ['--render-only', '--work-dir', str(tmp_path)])
        assert args.section == name
        rendered = lt_benchmark.render(args, machine='')
    else:
        command = re.search(r'^- Command: `(.*)`$', body, re.M).group(1)
        argv = shlex.split(command)
        assert argv[:3] == ['python', '-m', script], command
        if script == 'benchmarks.lt_evidence':
            assert name in lt_evidence.parse_args(argv[3:]).sections, \
                command
            rendered = lt_evidence.render_section(name,
                                                  results_of=results_of)
        else:  # a command that keeps its own records renders from them
            rendered = importlib.import_module(script).render_records(
                argv[3:])
    assert _figures(rendered) == _figures(body)
