"""The ``group-lift`` section of docs/benchmarks.md: what the group plans
buy on the group-lift data, and what they cost, from scratch and
fine-tuned.

Two trained protocols (:data:`PROTOCOLS`, the results ``render`` takes, in
that order): ``converged`` (ResNet-20 from random weights, the
``group-lift-<case>`` sections) and ``finetune`` (EfficientNet-Lite0 from
ImageNet-1k weights, the ``finetune-group-lift-<case>`` sections). Per case
(rare, degraded group 1) and protocol, every plan with three finished runs
against the case's cross-entropy baseline under the same protocol: the
change of group-1, group-0, balanced and few-shot accuracy with the page's
noise rule, the plans whose group-1 lift is beyond the noise with what they
cost group 0, and group-1 accuracy on the validation split during training.
Then, per case, the plans both protocols train side by side: the group-1
and group-0 verdicts from scratch and fine-tuned, and whether the advice
flips. Written by ``python -m benchmarks.lt_evidence --sections
group-lift``.
"""
from typing import List, Optional, Tuple

from benchmarks.common import git_provenance
from benchmarks.lt_curves import BALANCED
from benchmarks.lt_protocol import GROUP_LIFT_CASES, section_plan
from benchmarks.lt_results import Results, change_on
from benchmarks.lt_tables import (GROUP0, GROUP1, GROUP_FIGURES, delta_table,
                                  val_curve_lines)
from benchmarks.noise import exceeds_noise, gain_verdict, noise_verdict

# the results render() takes, in its arguments' order
PROTOCOLS = ('converged', 'finetune')
GROUP_LIFT_FIGURES = GROUP_FIGURES + (
    (BALANCED, 'balanced'), ('long_tail/few_shot', 'few-shot'))
# per protocol: the prefix of its group-lift sections, and its words
SECTION_PREFIX = {'converged': 'group-lift', 'finetune': 'finetune-group-lift'}
REGIME = {'converged': 'from scratch (ResNet-20)',
          'finetune': 'fine-tuned (EfficientNet-Lite0 from ImageNet-1k '
                      'weights)'}
NOT_RUN = 'not run yet'


def _finished(results: Results, row: str, seeds: int) -> bool:
    return len(results.get(row, {})) >= seeds


def case_plan(protocol: str, case: str) -> List[str]:
    """The rows of ``protocol``'s group-lift section of ``case``, the
    baseline first."""
    return [spec.name for spec in
            section_plan(f'{SECTION_PREFIX[protocol]}-{case}')[1]]


def case_lines(results: Results, protocol: str, case: str,
               seeds: int) -> List[str]:
    """One protocol's subsection of ``case``: its plans against its
    baseline; [] while the baseline has fewer than ``seeds`` runs."""
    base = f'ce-{case}'
    if not _finished(results, base, seeds):
        return []
    plan = [r for r in case_plan(protocol, case) if r != base]
    rows = [r for r in plan if _finished(results, r, seeds)]
    title = f'{case.capitalize()} group 1'
    if protocol != PROTOCOLS[0]:
        title += f', {REGIME[protocol]}'
    lines = ['', f'### {title}', '']
    lines += delta_table(results, base, rows, GROUP_LIFT_FIGURES)
    lifted = []
    for row in rows:
        g1 = change_on(results, base, row, GROUP1)
        if exceeds_noise(*g1) and g1[0] > 0:
            g0 = change_on(results, base, row, GROUP0)
            lifted.append(f'{row} ({g1[0]:+.2f} on group 1; group 0 '
                          f'{g0[0]:+.2f}, '
                          f'{noise_verdict(exceeds_noise(*g0))})')
    lines += ['', 'Group 1 lifted beyond the noise by: ' +
              ('; '.join(lifted) if lifted else 'no plan') + '.']
    lines += val_curve_lines(results, [base] + rows)
    short = [f'{r} ({len(results.get(r, {}))} of {seeds} seeds)'
             for r in plan if r not in rows]
    if short:
        lines += ['', 'Not measured yet: ' + ', '.join(short) + '.']
    return lines


def _verdict(results: Results, row: str, key: str, case: str,
             seeds: int) -> Optional[Tuple[str, float]]:
    """``row``'s change on ``ce-<case>`` in ``key``: (the noise rule's
    verdict, Δ); None until both have ``seeds`` runs."""
    base = f'ce-{case}'
    if not (_finished(results, row, seeds) and
            _finished(results, base, seeds)):
        return None
    delta, pooled = change_on(results, base, row, key)
    return gain_verdict(delta, pooled), delta


def _cell(verdict: Optional[Tuple[str, float]]) -> str:
    return NOT_RUN if verdict is None else \
        f'{verdict[0]} ({verdict[1]:+.2f})'


def regimes_lines(scratch: Results, finetuned: Results, case: str,
                  seeds: int) -> List[str]:
    """The plans of ``case`` that both protocols train: group-1 and
    group-0 verdicts from scratch and fine-tuned, and whether the group-1
    advice flips (— while either is not run yet)."""
    both = [r for r in case_plan('finetune', case)
            if r != f'ce-{case}' and r in case_plan('converged', case)]
    lines = ['', f'{case.capitalize()} group 1, each plan against '
             'cross-entropy from scratch and fine-tuned (Δ in points, '
             'means over seeds, with the noise rule\'s verdict):', '',
             '| plan | group 1, from scratch | group 1, fine-tuned | '
             'flips? | group 0, from scratch | group 0, fine-tuned |',
             '|---|---|---|---|---|---|']
    for row in both:
        g1 = [_verdict(r, row, GROUP1, case, seeds)
              for r in (scratch, finetuned)]
        g0 = [_verdict(r, row, GROUP0, case, seeds)
              for r in (scratch, finetuned)]
        flips = ('—' if None in g1 else
                 'yes' if g1[0][0] != g1[1][0] else 'no')
        lines.append(f'| {row} | {_cell(g1[0])} | {_cell(g1[1])} | '
                     f'{flips} | {_cell(g0[0])} | {_cell(g0[1])} |')
    return lines


def render(scratch: Results, finetuned: Optional[Results] = None,
           seeds: int = 3) -> str:
    """The ``group-lift`` section: per case (rare, degraded group 1) and
    protocol, every plan with ``seeds`` finished runs against the case's
    cross-entropy baseline (``ce-<case>``, also with ``seeds``) under that
    protocol (:func:`case_lines`), then the plans both protocols train
    side by side (:func:`regimes_lines`). ``finetuned`` may be empty or
    None (no fine-tuned runs yet).

    Raises:
        FileNotFoundError: Without finished runs of any case's baseline
            from scratch.
    """
    finetuned = finetuned or {}
    lines = ['## What the group plans buy, and what they cost', '',
             'Each plan against cross-entropy on the same group-lift data, '
             'from scratch (the `group-lift-rare` and `group-lift-degraded` '
             'sections) and fine-tuned (the `finetune-group-lift-rare` and '
             '`finetune-group-lift-degraded` sections): mean ± sample std '
             '(seeds) and the change on the baseline of the same protocol, '
             'with the page\'s noise rule (|Δ| > 2 × pooled std).']
    cases = 0
    for case in GROUP_LIFT_CASES:
        own = case_lines(scratch, 'converged', case, seeds)
        if not own:
            continue
        cases += 1
        lines += own
        tuned = case_lines(finetuned, 'finetune', case, seeds)
        lines += tuned or [
            '', f'{case.capitalize()} group 1, {REGIME["finetune"]}: '
            f'{NOT_RUN} (ce-{case} has '
            f'{len(finetuned.get(f"ce-{case}", {}))} of {seeds} seeds).']
        lines += regimes_lines(scratch, finetuned, case, seeds)
    if not cases:
        raise FileNotFoundError(f'no group-lift baseline (ce-rare, '
                                f'ce-degraded) with {seeds} finished runs: '
                                'run the group-lift sections of '
                                'lt_benchmark first')
    lines += [
        '',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence --sections '
        'group-lift`',
    ]
    return '\n'.join(lines)
