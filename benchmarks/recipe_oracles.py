"""The ``recipe-oracles`` section of docs/benchmarks.md: the combinations
measured against the oracle trained with their own recipe, and the goal of
closing 90% of the gap between cross-entropy and the oracle.

A recipe that changes augmentation or schedule (mixup, CutMix, RandAugment,
AutoAugment, SWA, EMA, 200 epochs) may help balanced data as much as
long-tailed data; then a row's gain over cross-entropy is the recipe's,
not a cure of the long tail. So every such recipe has its oracle row too
(``configs/combinations/oracle-<recipe>_*``: cross-entropy on the balanced
draw of 248 images per class with that recipe;
:data:`benchmarks.lt_combinations.RECIPE_ORACLES`), and each long-tailed
row with the recipe gets two shares, in balanced test accuracy, each the
mean over its seeds:

- of the gap to the plain oracle, (row − ce) / (oracle − ce), as the
  tables' column (:mod:`benchmarks.lt_gap`);
- of the gap to its recipe's oracle, (row − ce) / (oracle-recipe − ce):
  how near the long-tailed data with the recipe comes to balanced data
  with the same recipe.

Then the goal (issue 30): the best row of the ``lt-combinations`` section
against 90% of the plain gap, against Bag of Tricks' best combination
(``balanced-softmax-mixup``) and against the best single method of the
section (:data:`benchmarks.lt_combinations.METHODS`), by the page's noise
rule; and each two-stage row (MiSLAS, a combination after a stage 1)
stage by stage: which stage made its change over cross-entropy. A row
counts once it has :data:`SEEDS` kept runs; until then it is named as not
run.

Usage, from the repository root, after ``python -m benchmarks.lt_benchmark
--section lt-combinations``::

    python -m benchmarks.lt_evidence --sections recipe-oracles
"""
import math
from typing import Dict, List, Optional, Sequence

from benchmarks.common import git_provenance
from benchmarks.lt_combinations import (COMBINATIONS, METHODS, ORACLES,
                                        RECIPE_ORACLES, STAGE2_ROWS,
                                        WB_STAGE1, WB_STAGE1_CONFIG,
                                        WEIGHT_DECAYS)
from benchmarks.lt_gap import gap_closed
from benchmarks.lt_logs import mean_std
from benchmarks.lt_results import (Results, class_recalls, last_fifth_line,
                                   metric_values, run_curves)
from benchmarks.noise import difference_cell

SEEDS = 3
BALANCED = 'long_tail/balanced_accuracy'
GOAL = 0.9  # the share of the CE→oracle gap the issue asks for
BOT_BEST = 'balanced-softmax-mixup'  # Bag of Tricks' best combination
NOT_RUN = f'not run yet (needs {SEEDS} seeds)'
# a class named under the per-class table holds at least this share
MOST_SHARE = 0.1


def _values(results: Results, row: str) -> Optional[List[float]]:
    """The row's balanced accuracies once it has every seed, else None."""
    if len(results.get(row, {})) < SEEDS:
        return None
    return metric_values(results, row, BALANCED)


def _acc(values: Optional[Sequence[float]]) -> str:
    if values is None:
        return NOT_RUN
    mean, std, _ = mean_std(values)
    return f'{mean:.2f} ± {std:.2f}'


def _share(row, ce, top) -> str:
    if row is None or ce is None or top is None:
        return 'n/a'
    share = gap_closed(row, ce, top)
    return 'n/a' if math.isnan(share) else f'{100 * share:.0f}%'


def _versus(base, other) -> str:
    """``other`` − ``base`` with the noise verdict, or n/a."""
    if base is None or other is None:
        return 'n/a'
    return difference_cell(base, other)


def recipe_table(results: Results) -> List[str]:
    ce = _values(results, ORACLES['converged'][0].name)
    oracle = _values(results, ORACLES['converged'][1].name)
    lines = ['| recipe | its oracle, balanced | its oracle − the plain '
             'oracle | row with the recipe | row, balanced | share of the '
             'gap to the plain oracle | share of the gap to the recipe\'s '
             'oracle |', '|---|---:|---|---|---:|---:|---:|']
    for recipe, oracle_row, rows in RECIPE_ORACLES:
        top = _values(results, oracle_row)
        for i, row in enumerate(rows):
            values = _values(results, row)
            head = (f'{recipe} | {oracle_row}: {_acc(top)} | '
                    f'{_versus(oracle, top)}') if i == 0 else ' | | '
            lines.append(f'| {head} | {row} | {_acc(values)} | '
                         f'{_share(values, ce, oracle)} | '
                         f'{_share(values, ce, top)} |')
    return lines


def _combinations() -> List[str]:
    return [name for name, _ in COMBINATIONS] + [m.name for m in STAGE2_ROWS]


def _combinations_done(results: Results) -> Dict[str, List[float]]:
    """The combinations with every seed: their balanced accuracies."""
    done = {r: _values(results, r) for r in _combinations()}
    return {r: v for r, v in done.items() if v is not None}


def best_combination(done: Dict[str, List[float]]) -> Optional[str]:
    """The combination with the highest mean balanced accuracy of ``done``
    (:func:`_combinations_done`); None when it is empty."""
    return max(done, key=lambda r: mean_std(done[r])[0]) if done else None


def remaining_gap_lines(results: Results) -> List[str]:
    """Where the best combination (:func:`best_combination`) leaves the
    gap, class by class: test recall per class (mean over seeds) of ce, the
    best combination and the oracle. Balanced accuracy is the mean of the
    classes' recalls, so the oracle's minus the best's per class add up to
    the number of classes times the balanced gap; each class's share of
    that sum says where what is left lies. [] until ce, the oracle and a
    combination have every seed.

    Raises:
        ValueError: If the rows' classes differ.
    """
    ce_row, oracle_row = (s.name for s in ORACLES['converged'])
    best = best_combination(_combinations_done(results))
    if best is None or _values(results, ce_row) is None or \
            _values(results, oracle_row) is None:
        return []
    rows = (ce_row, best, oracle_row)
    try:
        per = {r: class_recalls(results, r) for r in rows}
    except FileNotFoundError as e:
        return ['', f'Where the rest of the gap lies: not known ({e}).']
    names = [c.name for c in per[ce_row]]
    for r in rows:
        if [c.name for c in per[r]] != names:
            raise ValueError(f'{r}: its per_class.csv has other classes '
                             f'than {ce_row}\'s ({names})')
    mean = {r: [mean_std(c.recalls)[0] for c in per[r]] for r in rows}
    left = [o - b for o, b in zip(mean[oracle_row], mean[best])]
    total = sum(left)
    lines = ['', f'Where the rest of the gap lies: test recall per class '
             f'(mean over seeds) of {ce_row}, the best combination ({best}) '
             f'and {oracle_row}. Balanced accuracy is the mean of these '
             f'recalls, so {oracle_row} − {best} per class adds up to '
             f'{len(names)} × the balanced gap ({total / len(names):.2f} '
             'points); each class\'s share of that sum says where what is '
             'left lies (a negative share: the combination beats the '
             'oracle there). Training images: the long-tailed draw\'s (the '
             'oracle has 248 of every class).', '',
             f'| class (training images) | shot | {ce_row} | {best} | '
             f'{oracle_row} | {oracle_row} − {best} | share of what is left '
             '|', '|---|---|---:|---:|---:|---:|---:|']
    for i, c in enumerate(per[ce_row]):
        share = f'{100 * left[i] / total:.0f}%' if total > 0 else 'n/a'
        lines.append(f'| {c.name} ({c.train_count}) | {c.shot} | '
                     f'{mean[ce_row][i]:.1f} | {mean[best][i]:.1f} | '
                     f'{mean[oracle_row][i]:.1f} | {left[i]:+.1f} | '
                     f'{share} |')
    if total > 0:
        most = sorted(range(len(names)), key=lambda i: -left[i])
        most = [i for i in most
                if round(100 * left[i] / total) >= 100 * MOST_SHARE]
        lines += ['', f'Classes holding at least {100 * MOST_SHARE:.0f}% '
                  'of what is left: ' + '; '.join(
                      f'{names[i]} ({per[ce_row][i].train_count} training '
                      f'images, {per[ce_row][i].shot}-shot) '
                      f'{100 * left[i] / total:.0f}%' for i in most) + '.']
    return lines


def goal_lines(results: Results) -> List[str]:
    """The best combination against the goal, Bag of Tricks' best
    combination and the best single method."""
    ce_row, oracle_row = (s.name for s in ORACLES['converged'])
    ce, oracle = _values(results, ce_row), _values(results, oracle_row)
    if ce is None or oracle is None:
        return [f'- Goal (≥ {100 * GOAL:.0f}% of the CE→oracle gap): '
                f'{NOT_RUN} for {ce_row} and {oracle_row}.']
    target = mean_std(ce)[0] + GOAL * (mean_std(oracle)[0] - mean_std(ce)[0])
    done = _combinations_done(results)
    missing = [r for r in _combinations() if r not in done]
    singles = {r: _values(results, r) for r in METHODS}
    singles = {r: v for r, v in singles.items() if v is not None}
    lines = [f'- The gap: ce {_acc(ce)}, oracle {_acc(oracle)}; '
             f'{100 * GOAL:.0f}% of it is {target:.2f}.']
    if not done:
        return lines + ['- No combination has its seeds yet.']
    best = best_combination(done)
    share = gap_closed(done[best], ce, oracle)
    lines.append(
        f'- Best combination: {best}, {_acc(done[best])}, '
        f'{100 * share:.0f}% of the gap: goal '
        + ('**met**' if share >= GOAL else '**not met**')
        + (f' (among the {len(done)} combinations with {SEEDS} seeds; not '
           'run yet: ' + ', '.join(missing) + ')' if missing else '') + '.')
    if BOT_BEST in done and best != BOT_BEST:
        lines.append(f'- {best} against Bag of Tricks\' best combination '
                     f'({BOT_BEST}, {_acc(done[BOT_BEST])}): '
                     f'{_versus(done[BOT_BEST], done[best])}.')
    if singles:
        single = max(singles, key=lambda r: mean_std(singles[r])[0])
        lines.append(f'- {best} against the best single method ({single}, '
                     f'{_acc(singles[single])}): '
                     f'{_versus(singles[single], done[best])}.')
    # a row that is only tested converged as the stage 1 it tests
    trained = {r.name: r.after for r in STAGE2_ROWS if r.test_only}
    return lines + [convergence_line(
        results, [ce_row, oracle_row, trained.get(best, best)])]


def stage_lines(results: Results) -> List[str]:
    """Each two-stage row of the section (a combination with a stage 1,
    MiSLAS) against cross-entropy, its stage 1 against cross-entropy, and
    its second stage against its stage 1: which stage made the row's
    change, and what its first stage gave or cost."""
    ce_row = ORACLES['converged'][0].name
    ce = _values(results, ce_row)
    lines = []
    for row, stage1 in ([(n, a) for n, a in COMBINATIONS if a]
                        + [(m.name, m.after) for m in STAGE2_ROWS]):
        values, first = _values(results, row), _values(results, stage1)
        if ce is None or values is None or first is None:
            lines.append(f'- {row} (stage 1: {stage1}): {NOT_RUN} of it, '
                         f'of its stage 1 and of {ce_row}.')
            continue
        lines.append(
            f'- {row}: {_acc(values)}, against {ce_row} '
            f'{_versus(ce, values)}; its stage 1 {stage1}: {_acc(first)}, '
            f'against {ce_row} {_versus(ce, first)}; its second stage over '
            f'its stage 1: {_versus(first, values)}.')
    return lines


def final_validation(results: Results, row: str) -> Optional[float]:
    """The mean over ``row``'s :data:`SEEDS` kept runs of the validation
    balanced accuracy at the end of training (None before then, or when a
    run kept no curve or no validation at its last epoch)."""
    if len(results.get(row, {})) < SEEDS:
        return None
    try:
        curves = run_curves(results, row)
    except FileNotFoundError:
        return None
    ends = [val.get(epochs) for epochs, _, val in curves.values()]
    return None if None in ends else sum(ends) / len(ends)


def _decay(value: float) -> str:
    """A weight decay as the configs write it: 2e-4, 1e-3."""
    return f'{value:.0e}'.replace('e-0', 'e-')


def weight_decay_lines(results: Results) -> List[str]:
    """Weight balancing's stage-1 weight decay as the held-out validation
    split chose it: each candidate's final validation balanced accuracy
    (:func:`final_validation`), the choice, and whether the stage-1 config
    holds it. The test split plays no part."""
    ends = {row: final_validation(results, row) for row, _ in WEIGHT_DECAYS}
    cells = [f'{_decay(wd)} ({row}) '
             + ('n/a' if ends[row] is None else f'{ends[row]:.2f}')
             for row, wd in WEIGHT_DECAYS]
    line = ('- Weight balancing\'s stage-1 weight decay, chosen on the '
            'validation split (final validation balanced accuracy, mean '
            f'over {SEEDS} seeds): ' + '; '.join(cells))
    missing = [row for row, _ in WEIGHT_DECAYS if ends[row] is None]
    if missing:
        return [line + '. Not chosen yet: ' + ', '.join(missing)
                + f' without {SEEDS} seeds and their validation curves.']
    best_row, best_wd = max(WEIGHT_DECAYS, key=lambda rw: ends[rw[0]])
    held = dict(WEIGHT_DECAYS)[WB_STAGE1.name]
    return [line + f'. Chosen: {_decay(best_wd)}; `{WB_STAGE1_CONFIG}` '
            + ('holds it.' if best_row == WB_STAGE1.name else
               f'holds {_decay(held)}, **not the choice**: its rows measure a '
               'weight decay validation did not pick.')]


def convergence_line(results: Results, rows: Sequence[str]) -> str:
    """The protocol's convergence criterion on the ends of the gap and
    the best combination: the change of the mean validation balanced
    accuracy over the last fifth of training, flat under
    :data:`FLAT_POINTS`; an oracle still rising at the end makes the
    measured gap, and every share of it, an estimate for that schedule."""
    return ('- Converged? ' + last_fifth_line(results, rows)
            + '. The oracle-200e row measures the oracle at the papers\' '
            'schedule.')


def render(results: Results) -> str:
    """The section body from the converged protocol's results."""
    return '\n'.join([
        '## The combinations against the oracle with their own recipe '
        '(converged protocol)', '',
        'An augmentation or schedule can lift balanced data as much as '
        'long-tailed data; then a row\'s gain is the recipe\'s, not a cure '
        'of the long tail. Each recipe\'s oracle is cross-entropy on the '
        'balanced draw (248 images per class) trained with that recipe '
        '(`configs/combinations/oracle-<recipe>_resnet20_1xb128_'
        'fashion-mnist-balanced248.py`). Shares: (row − ce) / (oracle − '
        'ce) in balanced test accuracy, each the mean over '
        f'{SEEDS} seeds; against the plain oracle (the tables\' column) '
        'and against the recipe\'s oracle. Differences by the page\'s '
        'noise rule. MiSLAS is listed under mixup, its stage 1\'s '
        'augmentation, weight balancing under its stage 1\'s weight decay '
        '(their stage 2 re-balances the classifier, which balanced data '
        'does not need).', ''] + recipe_table(results) + [
        ''] + weight_decay_lines(results) + [
        '', '### The goal: 90% of the gap', ''] + goal_lines(results) + \
        remaining_gap_lines(results) + [
        '', '### The two-stage rows, stage by stage', ''
    ] + stage_lines(results) + [
        '', f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence --sections '
        'recipe-oracles`'])
