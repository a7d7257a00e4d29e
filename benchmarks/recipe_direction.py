"""The ``recipe-direction`` section of docs/benchmarks.md: the recipes'
change from V1 to V4 measured here against the reference project's.

From the ``recipes`` section's runs (:mod:`benchmarks.lt_recipes`): top-1,
macro-F1 and the smallest class's F1 of V1 and V4 against the 44-class
reference project's change (:data:`REFERENCE_V1_V4`), each recipe ablation
against the recipe it changes and the one whose sampler it takes (what
explains a version's gain or loss), and the group plans' group-1 lift over
V1 with what it costs group 0; every comparison with the page's noise rule.
Written by ``python -m benchmarks.lt_evidence --sections recipe-direction``
once the recipes section has run.
"""
from typing import Dict, List

from benchmarks.common import git_provenance
from benchmarks.lt_logs import mean_std
from benchmarks.lt_recipes import ABLATIONS
from benchmarks.lt_results import (Results, smallest_class_f1,
                                   training_sampler, unrecognised_classes)
from benchmarks.lt_tables import GROUP_FIGURES, delta_table
from benchmarks.noise import difference, exceeds_noise, noise_verdict

GROUP_PLANS = ('plan-a', 'plan-b', 'plan-c')

# the 44-class reference project's V1 and V4 (issue 14): top-1 accuracy,
# macro-F1 and the F1 of its smallest class, in percent (None: not reported)
REFERENCE_V1_V4 = {
    'top-1': (85.2, 91.5),
    'macro-F1': (81.0, None),
    "smallest class's F1": (45.0, 68.0),
}


def ablation_lines(results: Results) -> List[str]:
    """For each recipe ablation (:data:`benchmarks.lt_recipes.ABLATIONS`):
    the recipe it changes, the recipe whose sampler it takes and itself,
    with each run's training sampler, top-1, worst-class F1, the smallest
    class's F1 and the classes it never recognised, then the ablation's
    change against the recipe it changes and against the one whose sampler
    it takes (noise rule of the page). No lines for an ablation without
    runs."""
    lines = []
    for name, changed, sampler_of in ABLATIONS:
        if not results.get(name) or not results.get(changed):
            continue
        rows = [sampler_of, changed, name]
        lines += [
            '',
            f'### {name}: {changed.upper()} with {sampler_of.upper()}\'s '
            'training sampler',
            '',
            '| row | training sampler | top-1 | worst-class F1 | smallest '
            "class's F1 | classes never recognised (seeds) |",
            '|---|---|---:|---:|---:|---|',
        ]
        values = {}
        for row in rows:
            runs = [r for _, r in sorted(results.get(row, {}).items())]
            if not runs:
                continue
            samplers = sorted({training_sampler(r['run_dir'])
                               for r in runs})
            values[row] = {
                key: [r['metrics'][f'long_tail/{key}'] for r in runs]
                for key in ('top1', 'worst_class_f1')}
            values[row]['smallest'] = [smallest_class_f1(r['run_dir'])
                                       for r in runs]
            missed: Dict[str, int] = {}
            for r in runs:
                for cls in unrecognised_classes(r['run_dir']):
                    missed[cls] = missed.get(cls, 0) + 1
            cells = [f'{m:.2f} ± {sd:.2f} ({n})' for m, sd, n in
                     (mean_std(values[row][k])
                      for k in ('top1', 'worst_class_f1', 'smallest'))]
            lines.append(
                f'| {row} | {", ".join(samplers)} | {" | ".join(cells)} | '
                + (', '.join(f'{c} ({k}/{len(runs)})'
                             for c, k in sorted(missed.items()))
                   or 'none') + ' |')
        lines.append('')
        for other in (changed, sampler_of):
            if other not in values:
                continue
            for key, label in (('top1', 'top-1'),
                               ('worst_class_f1', 'worst-class F1'),
                               ('smallest', "smallest class's F1")):
                delta, pooled = difference(values[other][key],
                                           values[name][key])
                verdict = noise_verdict(exceeds_noise(delta, pooled))
                lines.append(f'- {label}: {name} − {other} = {delta:+.2f} '
                             f'(pooled std {pooled:.2f}): {verdict}.')
    return lines


def group_plan_lines(results: Results,
                     base: str = 'v1') -> List[str]:
    """The group plans (deltas on ``base`` for group 1) against ``base``:
    group-1 and group-0 test accuracy, each change with the page's noise
    verdict; plans without runs left out (no lines without any)."""
    plans = [p for p in GROUP_PLANS if results.get(p)]
    if not plans or not results.get(base):
        return []
    return [
        '',
        f'### The group plans against {base.upper()} (the recipe they '
        'change)',
        '',
    ] + delta_table(results, base, plans, GROUP_FIGURES)


def render(results: Results, first: str = 'v1', last: str = 'v4') -> str:
    """The ``recipe-direction`` section: the recipes' change from ``first``
    to ``last`` measured here against the reference project's, figure by
    figure, with a noise verdict (|Δ| > 2 × pooled std).

    Raises:
        FileNotFoundError: Without finished runs of both rows.
    """
    missing = [r for r in (first, last) if not results.get(r)]
    if missing:
        raise FileNotFoundError(f'no finished runs of {missing} (the '
                                'recipes section of lt_benchmark)')

    def values(row: str, figure: str) -> List[float]:
        runs = [r for _, r in sorted(results[row].items())]
        if figure == "smallest class's F1":
            return [smallest_class_f1(r['run_dir']) for r in runs]
        key = {'top-1': 'long_tail/top1',
               'macro-F1': 'long_tail/macro_f1'}[figure]
        return [r['metrics'][key] for r in runs]

    lines = [
        f'## The recipes from {first.upper()} to {last.upper()} against the '
        'reference project',
        '',
        f'| figure | reference project {first.upper()} → {last.upper()} | '
        f'measured {first.upper()} | measured {last.upper()} | Δ | pooled '
        'std | verdict |',
        '|---|---|---:|---:|---:|---:|---|',
    ]
    for figure, (ref_a, ref_b) in REFERENCE_V1_V4.items():
        a, b = values(first, figure), values(last, figure)
        (m_a, s_a, n_a), (m_b, s_b, n_b) = mean_std(a), mean_std(b)
        delta, pooled = difference(a, b)
        beyond = exceeds_noise(delta, pooled)
        ref = (f'{ref_a:g} → {ref_b:g} ({ref_b - ref_a:+.1f})'
               if ref_b is not None else f'{ref_a:g} → not reported')
        if not beyond:
            verdict = noise_verdict(beyond)
        elif ref_b is None:
            verdict = 'beyond noise (no reference direction)'
        elif (delta > 0) == (ref_b > ref_a):
            verdict = 'same direction as the reference project'
        else:
            verdict = '**opposite direction to the reference project**'
        lines.append(
            f'| {figure} | {ref} | {m_a:.2f} ± {s_a:.2f} ({n_a}) | '
            f'{m_b:.2f} ± {s_b:.2f} ({n_b}) | {delta:+.2f} | {pooled:.2f} | '
            f'{verdict} |')
    lines += ablation_lines(results)
    lines += group_plan_lines(results, first)
    lines += [
        '',
        'Measured: the `recipes` section\'s runs (test set of the degraded '
        'group-lift data, percent, mean ± sample std (seeds)); smallest '
        "class's F1: the F1 of the class with the fewest training images "
        '(per_class.csv of each test). The reference project changed its '
        'backbone as well (EfficientNet-B0 → ImageNet-22k ConvNeXt-Base); '
        'here every recipe trains the same ResNet-20 from scratch, so the '
        'measured change is that of the training recipe alone.',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence --sections '
        'recipe-direction`',
    ]
    return '\n'.join(lines)
