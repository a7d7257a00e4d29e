"""The ``regimes`` section (each method's gain over cross-entropy from
scratch against fine-tuned), its README table and its writer, and
lt_evidence passing each renderer the protocols it declares."""
import json
import os.path as osp
import sys
import types

import pytest

from benchmarks import lt_evidence, page, paper_signs, regimes
from benchmarks.common import ROOT
from benchmarks.lt_results import read_results
from benchmarks.noise import gain_verdict

BAL = 'long_tail/balanced_accuracy'
FEW = 'long_tail/few_shot'


def runs(balanced, few=None, seeds=3):
    """``{seed: result}``: balanced accuracy ``balanced + s`` (few-shot
    ``few + s``, else the same as balanced) for seeds 0..seeds-1."""
    few = balanced if few is None else few
    return {
        s: dict(metrics={BAL: balanced + s, FEW: few + s,
                         'long_tail/many_shot': 90.0 + s,
                         'long_tail/medium_shot': 70.0 + s},
                run_dir=f'no-run/seed{s}', epochs=20)
        for s in range(seeds)
    }


def _rows(text):
    """``{first cell: line}`` of the table lines of ``text``."""
    return {line.split(' | ')[0][2:]: line for line in text.splitlines()
            if line.startswith('| ') and not line.startswith('| method')}


@pytest.fixture
def both():
    scratch = {'ce': runs(80.0, 60.0),
               'logit-adjusted': runs(85.0, 75.0),   # +5: helps
               'focal': runs(72.0, 40.0),            # -8: hurts
               'tau-norm': runs(80.5, 61.0),         # +0.5: within noise
               'crt': runs(83.0, 70.0),              # +3: helps
               'drs': runs(84.0, 70.0, seeds=2)}     # 2 seeds: not run yet
    finetuned = {'ce': runs(90.0, 80.0),
                 'ce-scratch': runs(70.0, 40.0),
                 'logit-adjusted': runs(94.0, 88.0),  # +4: helps, no flip
                 'focal': runs(90.5, 80.0),           # within: flips
                 'tau-norm': runs(87.0, 75.0),        # -3: hurts, flips
                 'crt': runs(90.2, 81.0),             # within: flips
                 'drs': runs(94.0, 88.0)}             # scratch not run yet
    return scratch, finetuned


def test_the_rows_are_the_methods_both_plans_share():
    rows = regimes.method_rows()
    assert rows[0] == 'ce-posthoc-la' and rows[-1] == 'mixup'
    assert 'ce' not in rows and 'ce-scratch' not in rows
    for row in ('logit-adjusted', 'balanced-softmax', 'ldam-drw', 'ce-drw',
                'class-balanced-sampler', 'drs', 'crt', 'lws', 'tau-norm',
                'softmax-focal', 'focal'):
        assert row in rows


def test_gain_verdict_words():
    assert gain_verdict(5.0, 1.0) == 'helps'
    assert gain_verdict(-5.0, 1.0) == 'hurts'
    assert gain_verdict(1.0, 1.0) == 'within noise'
    assert gain_verdict(2.0, 1.0) == 'within noise'  # |Δ| must exceed 2 std
    assert gain_verdict(5.0, float('nan')) == 'n/a (one seed)'


def test_changes_verdicts_and_flips(both):
    scratch, finetuned = both
    la_s = regimes.change(scratch, 'logit-adjusted')
    la_f = regimes.change(finetuned, 'logit-adjusted')
    assert la_s.delta == pytest.approx(5.0) and la_s.verdict == 'helps'
    assert la_f.delta == pytest.approx(4.0) and la_f.verdict == 'helps'
    assert regimes.flips(la_s, la_f) is False
    # hurts -> within noise, within noise -> hurts, helps -> within: flips
    for row in ('focal', 'tau-norm', 'crt'):
        assert regimes.flips(regimes.change(scratch, row),
                             regimes.change(finetuned, row)) is True, row
    assert regimes.change(finetuned, 'tau-norm').verdict == 'hurts'
    # fewer than 3 seeds: no change, no flip
    assert regimes.change(scratch, 'drs') is None
    assert regimes.flips(None, regimes.change(finetuned, 'drs')) is None
    # without the baseline's 3 seeds nothing is compared
    assert regimes.change({'crt': runs(83.0)}, 'crt') is None


def test_section_table(both):
    scratch, finetuned = both
    body = regimes.render(scratch, finetuned)
    rows = _rows(body)
    assert rows['logit-adjusted'] == (
        '| logit-adjusted | +5.00 (helps) | +4.00 (helps) | no | '
        '+15.00 (helps) | +8.00 (helps) |')
    assert rows['focal'] == ('| focal | -8.00 (hurts) | +0.50 (within '
                             'noise) | yes | -20.00 (hurts) | +0.00 (within '
                             'noise) |')
    assert rows['drs'] == ('| drs | not run yet | +4.00 (helps) | — | '
                           'not run yet | +8.00 (helps) |')
    # a method with no runs at all
    assert rows['lws'] == ('| lws | not run yet | not run yet | — | '
                           'not run yet | not run yet |')
    assert list(rows)[:len(regimes.method_rows())] == regimes.method_rows()
    assert ('from scratch 81.00 ± 1.00 (3); fine-tuned 91.00 ± 1.00 (3)'
            in body)
    # what pretraining buys: ce (fine-tuned) against ce-scratch per bin
    assert rows['few'] == '| few | 41.00 ± 1.00 (3) | 81.00 ± 1.00 (3) | ' \
        '+40.00 (helps) |'
    assert rows['balanced'].endswith('| +20.00 (helps) |')
    assert rows['many'].endswith('| +0.00 (within noise) |')
    # no training curves kept for these synthetic runs: said, not guessed
    assert ('over the last fifth of training (mean over seeds; flat: under '
            '0.5 points): ce-scratch n/a (no training curves kept); ce n/a '
            '(no training curves kept).') in body
    assert [r for r in rows if r in ('many', 'medium', 'few', 'balanced')] \
        == ['many', 'medium', 'few', 'balanced']
    for words in ('ResNet-20', '28x28', 'EfficientNet-Lite0', 'ImageNet-1k',
                  '80x60', 'imbalance ratio 100', 'n_max 1,000',
                  'held-out', 'balanced 10k test set', '3 seeds',
                  '2 × pooled std', '*flips?*: yes when'):
        assert words in body, words
    assert f'- Command: `{regimes.COMMAND}`' in body


def test_an_empty_protocol_renders_not_run_yet(both):
    scratch, _ = both
    body = regimes.render(scratch, {})
    rows = _rows(body)
    assert all('not run yet' in rows[r] for r in regimes.method_rows())
    assert 'fine-tuned not run yet.' in body
    assert ('What pretraining buys (`ce` against `ce-scratch`, fine-tuning '
            'protocol): not run yet (`ce` 0 of 3, `ce-scratch` 0 of 3 '
            'seeds).') in body
    assert '| few |' not in body
    # nothing at all: still a section
    assert regimes.render({}, {}).startswith(f'## {regimes.HEADING}')


def test_readme_table_is_compact(both):
    scratch, finetuned = both
    table = regimes.readme_table(scratch, finetuned)
    lines = table.splitlines()
    assert lines[0] == '| method | from scratch | fine-tuned | flips? |'
    assert len(lines) == 2 + len(regimes.method_rows())
    rows = _rows(table)
    assert rows['logit-adjusted'] == \
        '| logit-adjusted | helps (+5.0) | helps (+4.0) | no |'
    assert rows['tau-norm'] == \
        '| tau-norm | within noise (+0.5) | hurts (-3.0) | yes |'
    assert rows['drs'] == '| drs | not run yet | helps (+4.0) | — |'


README_TEXT = '''# x

## Which method should I use?

First paragraph.

{start}
{end}
- a point

## Next
'''


def _readme(tmp_path, text=None):
    path = tmp_path / 'README.md'
    path.write_text(text if text is not None else README_TEXT.format(
        start=regimes.README_START, end=regimes.README_END))
    return path


def test_readme_writer_replaces_only_between_the_markers(tmp_path, both):
    path = _readme(tmp_path)
    regimes.write_readme('| a | b |\n|---|---|\n| 1 | 2 |\n', str(path))
    text = path.read_text()
    assert text == README_TEXT.format(
        start=regimes.README_START + '\n| a | b |\n|---|---|\n| 1 | 2 |',
        end=regimes.README_END)
    # written again: the old table goes, the rest stays
    regimes.write_readme(regimes.readme_table(*both), str(path))
    text = path.read_text()
    assert '| 1 | 2 |' not in text and 'logit-adjusted' in text
    assert text.startswith('# x\n\n## Which method should I use?\n\n'
                           'First paragraph.\n\n' + regimes.README_START)
    assert text.endswith(regimes.README_END + '\n- a point\n\n## Next\n')


@pytest.mark.parametrize('text', [
    'no markers\n',
    f'{regimes.README_START}\nonly the start\n',
    f'{regimes.README_END}\n{regimes.README_START}\n',
    f'{regimes.README_START}\n{regimes.README_START}\n{regimes.README_END}\n',
])
def test_readme_writer_refuses_missing_markers(tmp_path, text):
    path = _readme(tmp_path, text)
    with pytest.raises(ValueError, match='regimes:start'):
        regimes.write_readme('| a |', str(path))
    assert path.read_text() == text


def test_readme_writer_refuses_a_readme_over_its_limit(tmp_path):
    path = _readme(tmp_path)
    before = path.read_text()
    with pytest.raises(ValueError, match='more than 12'):
        regimes.write_readme('\n'.join(['| a |'] * 5), str(path),
                             max_lines=12)
    assert path.read_text() == before


def test_the_readme_has_the_markers_and_room_for_the_table():
    """README.md has the block once, in "Which method should I use?", and
    stays within its 300 lines once the table fills it."""
    with open(regimes.README) as f:
        text = f.read()
    section = text.split('## Which method should I use?')[1].split('\n## ')[0]
    assert section.count(regimes.README_START) == 1
    assert section.count(regimes.README_END) == 1
    assert len(text.splitlines()) <= regimes.README_MAX_LINES
    converged = read_results(osp.join(ROOT, 'nothing'),
                             osp.join(ROOT, 'benchmarks', 'results',
                                      'converged'))
    filled = regimes.replace_readme_block(
        text, regimes.readme_table(converged, {}))
    assert len(filled.splitlines()) <= regimes.README_MAX_LINES
    assert regimes.section_link() in text


# ------------------------------------------------------ lt_evidence
def _fake_renderer(monkeypatch, name, protocols=None, protocol='converged'):
    """A registered section ``name`` whose renderer records its inputs."""
    module = types.ModuleType(f'fake_{name}')
    seen = {}
    if protocols is not None:
        module.PROTOCOLS = protocols

    def render(*results):
        seen['render'] = results
        return 'body'

    def draw(*results):
        seen['draw'] = results

    module.render, module.draw = render, draw
    monkeypatch.setitem(sys.modules, module.__name__, module)
    entry = page.Section(name, 'explanations', name, 'benchmarks.lt_evidence',
                         renderer=module.__name__, protocol=protocol)
    real = lt_evidence.section
    monkeypatch.setattr(lt_evidence, 'section',
                        lambda n: entry if n == name else real(n))
    return seen


def test_render_section_passes_the_protocols_a_renderer_declares(
        monkeypatch):
    converged, finetuned = {'ce': {}}, {'ce': {}, 'x': {}}
    of = {'converged': converged, 'finetune': finetuned}
    seen = _fake_renderer(monkeypatch, 'two', ('finetune', 'converged'))
    assert lt_evidence.section_protocols('two') == ('finetune', 'converged')
    assert lt_evidence.render_section('two', draw=True,
                                      results_of=of) == 'body'
    assert seen['render'] == (finetuned, converged)
    assert seen['draw'] == (finetuned, converged)
    # results stands for the first protocol; the others must be given
    lt_evidence.render_section('two', finetuned,
                               results_of={'converged': converged})
    assert seen['render'] == (finetuned, converged)
    with pytest.raises(KeyError, match=r"none given for \['converged'\]"):
        lt_evidence.render_section('two', finetuned)
    with pytest.raises(ValueError, match='given twice'):
        lt_evidence.render_section('two', finetuned, results_of=of)
    # without PROTOCOLS: the section's protocol in the registry
    seen = _fake_renderer(monkeypatch, 'one', protocol='finetune')
    assert lt_evidence.section_protocols('one') == ('finetune', )
    lt_evidence.render_section('one', results_of=of)
    assert seen['render'] == (finetuned, )
    # the converged renderers as they were: one results argument
    assert lt_evidence.section_protocols('convergence') == ('converged', )
    assert lt_evidence.section_protocols('paper-signs') == \
        paper_signs.PROTOCOLS == ('converged', 'finetune')
    assert regimes.PROTOCOLS == ('converged', 'finetune')


def _write_runs(root, protocol, rows):
    for row, seeds in rows.items():
        for seed, data in seeds.items():
            d = root / protocol / row / f'seed{seed}'
            d.mkdir(parents=True)
            (d / 'result.json').write_text(json.dumps(dict(
                data, name=row, seed=seed)))


def test_main_reads_each_protocol_once_and_writes_the_readme(
        tmp_path, monkeypatch, both):
    if 'regimes' not in lt_evidence.evidence_sections():
        pytest.skip('the regimes section is not registered yet')
    scratch, finetuned = both
    work, records = tmp_path / 'work', tmp_path / 'records'
    _write_runs(work, 'converged', scratch)
    _write_runs(records, 'finetune', finetuned)
    readme = _readme(tmp_path)
    out = tmp_path / 'benchmarks.md'
    calls = []
    real = lt_evidence.read_results

    def read(run_root, records_root=None):
        calls.append(osp.basename(run_root))
        return real(run_root, records_root)

    monkeypatch.setattr(lt_evidence, 'read_results', read)
    assert lt_evidence.main([
        '--sections', 'paper-signs', 'regimes', '--work-dir', str(work),
        '--records-dir', str(records), '--out', str(out), '--readme',
        str(readme)
    ]) == 0
    assert sorted(calls) == ['converged', 'finetune']
    doc = out.read_text()
    assert '<!-- bench:regimes:start -->' in doc
    assert '| logit-adjusted | +5.00 (helps) | +4.00 (helps) | no |' in doc
    # the sign table's fine-tuned column, from the finetune records
    assert '| same sign as the paper | +4.00 (same sign as the paper) |' \
        in doc
    assert '| logit-adjusted | helps (+5.0) | helps (+4.0) | no |' in \
        readme.read_text()


def test_why_the_advice_flips(both):
    scratch, finetuned = both
    # crt: +3 (helps) from scratch, +0.2 (within noise) fine-tuned: size
    why = regimes.flip_reason(scratch, finetuned, 'crt')
    assert why == ('same direction, a difference of size: from scratch '
                   '+3.00 against its noise bar 2.00 (helps), fine-tuned '
                   '+0.20 against its noise bar 2.00 (within noise)')
    # tau-norm: +0.5 from scratch, -3 fine-tuned: where it turns, per bin
    why = regimes.flip_reason(scratch, finetuned, 'tau-norm')
    assert why == ('opposite directions; Δ per shot bin, from scratch / '
                   'fine-tuned: many +0.00 / +0.00, medium +0.00 / +0.00, '
                   'few +1.00 / -5.00')
    # no flip, or not run in one regime: no reason
    assert regimes.flip_reason(scratch, finetuned, 'logit-adjusted') is None
    assert regimes.flip_reason(scratch, finetuned, 'drs') is None
    body = regimes.render(scratch, finetuned)
    assert 'Where the advice flips, and why' in body
    assert '- crt: same direction' in body
    assert '- logit-adjusted:' not in body
    assert 'Where the advice flips' not in regimes.render(scratch, {})
    rows = _rows(regimes.readme_table(scratch, finetuned))
    assert rows['crt'] == ('| crt | helps (+3.0) | within noise (+0.2) | '
                           'yes: same sign, fine-tuned +0.2 within its noise '
                           'bar 2.0 |')
