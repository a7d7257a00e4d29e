"""benchmarks/page.py: the section markers, the one registry of the page's
sections, the page laid out in its order with its contents, and
docs/benchmarks.md as it stands against all three."""
import os.path as osp
import re

import pytest

from benchmarks import lt_evidence, lt_protocol, page
from benchmarks.common import ROOT

DOC = osp.join(ROOT, 'docs', 'benchmarks.md')


def _read_doc() -> str:
    with open(DOC) as f:
        return f.read()


def test_replace_section_keeps_other_content():
    start, end = page.section_markers('losses')
    other_start, other_end = page.section_markers('baselines')
    text = (f'# Intro\n\nhand text\n\n{other_start}\nB\n{other_end}\n\n'
            f'{start}\nold\n{end}\n\ntrailing\n')
    new = page.replace_section(text, 'losses', 'new body\n')
    assert 'old' not in new
    assert f'{start}\nnew body\n{end}' in new
    assert new.startswith('# Intro\n\nhand text\n')
    assert f'{other_start}\nB\n{other_end}' in new
    assert new.endswith('\ntrailing\n')
    # idempotent
    assert page.replace_section(new, 'losses', 'new body') == new


def test_replace_section_appends_and_starts_file():
    new = page.replace_section('', 'losses', 'body', intro='# Intro\n')
    start, end = page.section_markers('losses')
    assert new == f'# Intro\n\n{start}\nbody\n{end}\n'
    more = page.replace_section(new, 'baselines', 'other')
    assert more.startswith(new.rstrip('\n'))
    assert more.endswith('<!-- bench:baselines:end -->\n')


def test_replace_section_rejects_broken_markers():
    start, end = page.section_markers('losses')
    with pytest.raises(ValueError, match='exactly one'):
        page.replace_section(f'{start}\nx\n', 'losses', 'b')
    with pytest.raises(ValueError, match='comes before'):
        page.replace_section(f'{end}\nx\n{start}\n', 'losses', 'b')
    with pytest.raises(ValueError, match='section name'):
        page.section_markers('bad name')


def test_default_intro_says_how_to_reproduce():
    assert 'python tools/dataset/prepare_fashion_mnist.py' in page.DOC_INTRO
    assert 'python -m benchmarks.lt_benchmark' in page.DOC_INTRO
    assert 'CI does not run' in page.DOC_INTRO


def _block(name, body):
    start, end = page.section_markers(name)
    return f'{start}\n{body}\n{end}'


def test_write_report_puts_a_section_at_its_place_in_the_order(tmp_path):
    """A section is written where the registry puts it, whatever the order
    of writing; a section the registry lacks goes after the known ones; the
    contents list what the page holds, part by part."""
    out = tmp_path / 'benchmarks.md'
    page.write_report(str(out), 'mixup-bias', '## Why mixup\n\nm')
    page.write_report(str(out), 'unregistered', '## Other\n\nu')
    page.write_report(str(out), 'lt-losses', '## Losses\n\nl')
    page.write_report(str(out), 'convergence', '## Convergence\n\nc')
    text = out.read_text()
    names = re.findall(r'<!-- bench:([\w-]+):start -->', text)
    assert names == ['convergence', 'lt-losses', 'mixup-bias',
                     'unregistered']
    contents = text.split(page.CONTENTS_START)[1].split(page.CONTENTS_END)[0]
    assert '- **The protocol**: [cross-entropy\'s convergence](#convergence)'\
        in contents
    assert '- **Losses**: [every loss against cross-entropy](#losses)' \
        in contents
    assert '[why input mixup loses](#why-mixup)' in contents
    assert '- **Samplers**: none yet' in contents
    # writing again changes nothing but the section written
    page.write_report(str(out), 'lt-losses', '## Losses\n\nl2')
    assert out.read_text() == text.replace('\nl\n', '\nl2\n')


def test_order_page_refuses_text_no_section_owns():
    text = ('# T\n\n' + _block('lt-losses', 'a') + '\n\nloose text\n\n'
            + _block('convergence', 'b') + '\n')
    with pytest.raises(ValueError, match='outside any section'):
        page.order_page(text)
    twice = _block('lt-losses', 'a') + '\n\n' + _block('lt-losses', 'b')
    with pytest.raises(ValueError, match='appears twice'):
        page.order_page(twice)
    # a page that starts with a section keeps starting with it
    bare = _block('mixup-bias', 'm') + '\n\n' + _block('lt-losses', 'l')
    assert page.order_page(bare + '\n') == \
        _block('lt-losses', 'l') + '\n\n' + _block('mixup-bias', 'm') + '\n'


def test_heading_anchors_number_repeats_and_skip_code():
    text = ('# A\n\n```bash\n# not a heading\n```\n\n## B c\n\n## B c\n')
    assert [a for _, _, a in page.heading_anchors(text)] == \
        ['a', 'b-c', 'b-c-1']
    assert page.github_anchor('The recipes (configs/recipes/): V1') == \
        'the-recipes-configsrecipes-v1'


def test_registry_is_one_list_in_the_parts_order():
    names = [s.name for s in page.SECTIONS]
    assert len(set(names)) == len(names)
    parts = [key for key, _ in page.PARTS]
    order = [parts.index(s.part) for s in page.SECTIONS]
    assert order == sorted(order), 'SECTIONS must follow the order of PARTS'
    for s in page.SECTIONS:
        page.check_section_name(s.name)
        assert osp.isfile(osp.join(ROOT, *s.script.split('.')) + '.py'), s
        if s.renderer:
            assert s.script == 'benchmarks.lt_evidence', s
            assert osp.isfile(
                osp.join(ROOT, *s.renderer.split('.')) + '.py'), s
        if s.title:
            assert s.script == 'benchmarks.lt_benchmark', s
    with pytest.raises(KeyError, match='no section'):
        page.section('nope')


def test_command_lines_and_plans_read_the_registry():
    assert lt_evidence.evidence_sections() == [
        s.name for s in page.SECTIONS if s.renderer]
    assert lt_evidence.parse_args([]).sections == ['convergence',
                                                   'paper-signs']
    # every planned section has its rows, and nothing else has
    assert set(lt_protocol.ROWS) == set(lt_protocol.planned_sections())
    for name in lt_protocol.planned_sections():
        assert lt_protocol.section_plan(name)[0] == page.section(name).title


def test_the_page_is_in_the_registry_order_with_its_contents():
    """docs/benchmarks.md holds only registered sections, in the registry's
    order, and its contents are the ones :func:`page.order_page` writes
    (so a section written by hand elsewhere, or an edited order, fails)."""
    text = _read_doc()
    _, blocks, _ = page.split_page(text)
    registered = {s.name for s in page.SECTIONS}
    assert set(blocks) <= registered, set(blocks) - registered
    assert page.order_page(text) == text
    contents = text.split(page.CONTENTS_START)[1].split(page.CONTENTS_END)[0]
    anchors = {a for _, _, a in page.heading_anchors(text)}
    for link in re.findall(r'\]\(#([^)]+)\)', contents):
        assert link in anchors, link
