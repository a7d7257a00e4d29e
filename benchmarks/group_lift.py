"""The ``group-lift`` section of docs/benchmarks.md: what the group plans
buy on the group-lift data, and what they cost.

Per case (rare, degraded group 1; the ``group-lift-<case>`` sections'
runs), every plan with three finished runs against the case's cross-entropy
baseline: the change of group-1, group-0, balanced and few-shot accuracy
with the page's noise rule, the plans whose group-1 lift is beyond the
noise with what they cost group 0, and group-1 accuracy on the validation
split during training. Written by
``python -m benchmarks.lt_evidence --sections group-lift``.
"""
from benchmarks.common import git_provenance
from benchmarks.lt_curves import BALANCED
from benchmarks.lt_protocol import GROUP_LIFT_CASES, section_plan
from benchmarks.lt_results import Results, change_on
from benchmarks.lt_tables import (GROUP0, GROUP1, GROUP_FIGURES, delta_table,
                                  val_curve_lines)
from benchmarks.noise import exceeds_noise, noise_verdict

GROUP_LIFT_FIGURES = GROUP_FIGURES + (
    (BALANCED, 'balanced'), ('long_tail/few_shot', 'few-shot'))


def render(results: Results, seeds: int = 3) -> str:
    """The ``group-lift`` section: per case (rare, degraded group 1), every
    plan with ``seeds`` finished runs against the case's cross-entropy
    baseline (``ce-<case>``, also with ``seeds``): the change of group-1,
    group-0, balanced and few-shot accuracy, each with the page's noise
    verdict, and the plans whose group-1 lift is beyond the noise named
    with what they cost group 0; the plans still short of seeds are named.

    Raises:
        FileNotFoundError: Without finished runs of any case's baseline.
    """
    lines = ['## What the group plans buy, and what they cost', '',
             'Each plan against cross-entropy on the same group-lift data '
             '(the `group-lift-rare` and `group-lift-degraded` sections): '
             'mean ± sample std (seeds) and the change on the baseline, '
             'with the page\'s noise rule (|Δ| > 2 × pooled std).']
    cases = 0
    for case in GROUP_LIFT_CASES:
        base = f'ce-{case}'
        if len(results.get(base, {})) < seeds:
            continue
        cases += 1
        plan = [spec.name for spec in section_plan(f'group-lift-{case}')[1]
                if spec.name != base]
        rows = [r for r in plan if len(results.get(r, {})) >= seeds]
        lines += ['', f'### {case.capitalize()} group 1', '']
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
