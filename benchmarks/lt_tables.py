"""Tables the evidence sections share: a row's figures against a base row
with the page's noise verdict, and validation curves at fixed epochs.

The section modules (convergence, paper signs, group lift, recipe
direction, focal tail, IB switch, mixup bias) build their text from these;
this module imports only readers (:mod:`benchmarks.lt_results`,
:mod:`benchmarks.lt_curves`, :mod:`benchmarks.noise`).
"""
from typing import List, Sequence, Tuple

from benchmarks.lt_curves import BALANCED, epoch_curves, mean_curve
from benchmarks.lt_logs import find_scalars, mean_std, read_json_lines
from benchmarks.lt_results import Results, change_on, metric_values
from benchmarks.noise import exceeds_noise, noise_verdict

GROUP1 = 'long_tail/group1_accuracy'
GROUP0 = 'long_tail/group0_accuracy'
# (metric key, label) of the tables' column groups
SHOT_FIGURES = ((BALANCED, 'balanced'), ('long_tail/many_shot', 'many'),
                ('long_tail/medium_shot', 'medium'),
                ('long_tail/few_shot', 'few'))
GROUP_FIGURES = ((GROUP1, 'group 1'), (GROUP0, 'group 0'))
# the validation epochs a curve table shows (and the last one)
CURVE_EPOCHS = (10, 20, 30)


def delta_table(results: Results, base: str, rows: Sequence[str],
                figures: Sequence[Tuple[str, str]]) -> List[str]:
    """Markdown table of ``rows`` (``base`` first): per figure (metric key,
    label) the mean ± sample std (seeds) and, but for ``base``, the change
    on ``base`` with the page's noise verdict."""
    head = ' | '.join(f'{label} | Δ {label}' for _, label in figures)
    lines = [f'| row | {head} |',
             '|---|' + '---:|---:|' * len(figures)]
    for row in [base] + [r for r in rows if r != base]:
        cells = []
        for key, _ in figures:
            m, sd, n = mean_std(metric_values(results, row, key))
            cells.append(f'{m:.2f} ± {sd:.2f} ({n})')
            if row == base:
                cells.append('')
                continue
            delta, pooled = change_on(results, base, row, key)
            cells.append(f'{delta:+.2f} ('
                         f'{noise_verdict(exceeds_noise(delta, pooled))})')
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    return lines


def shot_delta_lines(results: Results, base: str, rows: Sequence[str],
                     title: str) -> List[str]:
    """A control section's heading ``title`` and its rows' test accuracy
    per shot bin against ``base`` (:func:`delta_table`)."""
    return [
        f'## {title}',
        '',
        'Test accuracy per shot bin, mean ± sample std (seeds), and the '
        'change on cross-entropy with the page\'s noise rule (|Δ| > 2 × '
        'pooled std):',
        '',
    ] + delta_table(results, base, rows, SHOT_FIGURES)


def val_curve_lines(results: Results, rows: Sequence[str],
                    metric: str = GROUP1,
                    what: str = 'Group-1 accuracy') -> List[str]:
    """``metric`` (``what``) on the held-out validation split during
    training (mean over seeds) at :data:`CURVE_EPOCHS` and the last
    validated epoch, for the trained ``rows`` (a test-only row has no
    training to show): whether a row learns sooner or ends higher."""
    curves = {}
    for row in rows:
        runs = [r for _, r in sorted(results[row].items())]
        if not runs[0].get('epochs'):
            continue
        curves[row] = mean_curve([
            epoch_curves(read_json_lines(find_scalars(r['run_dir'])),
                         metric)[1] for r in runs])
    if not curves:
        return []
    last = max(max(c) for c in curves.values())
    epochs = [e for e in CURVE_EPOCHS if e < last] + [last]
    lines = ['', f'{what} on the held-out validation split during '
             'training (mean over seeds):', '',
             '| row | ' + ' | '.join(f'epoch {e}' for e in epochs) + ' |',
             '|---|' + '---:|' * len(epochs)]
    for row, curve in curves.items():
        lines.append(f'| {row} | ' + ' | '.join(
            f'{curve[e]:.2f}' if e in curve else 'n/a' for e in epochs)
            + ' |')
    return lines
