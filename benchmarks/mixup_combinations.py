"""Why input mixup does not add to a prior-corrected loss under the
converged protocol: the ``mixup-combinations`` section of
docs/benchmarks.md.

Bag of Tricks reports input mixup with balanced softmax as its best
single-stage combination on CIFAR-10-LT (top-1 error 23.63 with balanced
softmax alone, 18.65 with input mixup too); in the ``lt-combinations``
section both mixup combinations (alpha 1.0, as Bag of Tricks) test below
their loss alone. Each pair (the same recipe without → with the Mixup batch
augment, :data:`PAIRS`) is taken apart with two measurements from the kept
runs:

- **the prior**: the share of the balanced test set's predictions that name
  a many-shot class (:func:`benchmarks.lt_results.prediction_shares`).
  Mixing a rare image with a frequent one gives the frequent class part of
  the label; if the prior correction did not hold on mixed targets, the
  combination's classifier would lean to the head again (cross-entropy's
  share sits far above the test images' 50%);
- **the classes**: each class's change of test recall with mixup, on the
  balanced draw (the oracle pair) and on the long tail, and their Pearson
  correlation over the classes (SciPy): a positive one says mixup costs the
  same classes with or without the long tail, so the combinations' loss is
  mixup's cost on those classes (how much larger on the long tail: the
  ratio of the summed losses of the classes mixup costs on balanced data),
  not a wrong prior.

Usage, from the repository root, after ``python -m benchmarks.lt_benchmark
--section lt-combinations`` (and lt-losses, lt-bag-of-tricks)::

    python -m benchmarks.lt_evidence --sections mixup-combinations
"""
from statistics import mean
from typing import Dict, List, Optional, Sequence, Tuple

from scipy.stats import pearsonr

from benchmarks.common import git_provenance
from benchmarks.lt_logs import format_mean_std
from benchmarks.lt_results import (Results, image_shares, metric_values,
                                   per_class_rows, prediction_shares)
from benchmarks.noise import (difference, difference_cell, exceeds_noise,
                              gain_verdict)

SEEDS = 3
BALANCED = 'long_tail/balanced_accuracy'
BINS = (('many', 'long_tail/many_shot'), ('medium', 'long_tail/medium_shot'),
        ('few', 'long_tail/few_shot'))
# (without mixup, with mixup): the balanced draw first, then the long tail
ORACLE_PAIR = ('oracle', 'oracle-mixup')
PAIRS: Tuple[Tuple[str, str], ...] = (
    ORACLE_PAIR,
    ('logit-adjusted', 'logit-adjusted-mixup'),
    ('balanced-softmax', 'balanced-softmax-mixup'),
    ('ce', 'mixup'),
)
# the pairs whose loss corrects the prior (the combinations proper)
PRIOR_CORRECTED = ('logit-adjusted', 'balanced-softmax')
ALPHA = 0.05  # the correlation's significance level


def finished(results: Results, pair: Sequence[str]) -> bool:
    """Both rows of ``pair`` have :data:`SEEDS` kept runs."""
    return all(len(results.get(row, {})) >= SEEDS for row in pair)


def class_recalls(results: Results, row: str) -> Dict[str, float]:
    """``{class name: test recall}`` of ``row``, the mean over its seeds
    (each run's ``per_class.csv``).

    Raises:
        ValueError: If the runs do not name the same classes.
    """
    per_seed = [{r['class_name']: float(r['recall'])
                 for r in per_class_rows(run['run_dir'])}
                for _, run in sorted(results[row].items())]
    names = set(per_seed[0])
    for seed, recalls in enumerate(per_seed[1:], 1):
        if set(recalls) != names:
            raise ValueError(
                f'{row}: its runs name different classes '
                f'({sorted(names ^ set(recalls))} in one run only)')
    return {c: mean(r[c] for r in per_seed) for c in per_seed[0]}


def class_changes(results: Results, pair: Sequence[str]) -> Dict[str, float]:
    """``{class: recall with mixup − without}`` for ``pair``."""
    without, with_ = (class_recalls(results, row) for row in pair)
    if set(without) != set(with_):
        raise ValueError(f'{pair[0]} and {pair[1]} name different classes')
    return {c: with_[c] - without[c] for c in without}


def cost_ratio(balanced: Dict[str, float],
               long_tail: Dict[str, float]) -> Optional[float]:
    """Over the classes whose recall mixup lowers on balanced data, the sum
    of their changes on the long tail over the sum on balanced data (None
    when mixup lowers no class on balanced data)."""
    losing = [c for c, d in balanced.items() if d < 0]
    if not losing:
        return None
    return sum(long_tail[c] for c in losing) / sum(balanced[c]
                                                    for c in losing)


def many_shares(results: Results, row: str) -> List[float]:
    """Per seed, the percent of ``row``'s test predictions naming a
    many-shot class."""
    return [prediction_shares(run['run_dir'])['many']
            for _, run in sorted(results[row].items())]


def pair_table(results: Results, pairs: Sequence[Tuple[str, str]],
               shares: Dict[str, List[float]], truth: float) -> List[str]:
    """One line per pair; ``shares``: :func:`many_shares` of each row."""
    lines = [
        '| without → with mixup | without, balanced | with, balanced | '
        'Δ balanced | ' + ' | '.join(f'Δ {b}' for b, _ in BINS) +
        f' | many-shot share of the predictions, without → with (test '
        f'images: {truth:.1f}%) |',
        '|---|---:|---:|---|' + '---|' * len(BINS) + '---|'
    ]
    for a, b in pairs:
        cells = [difference_cell(metric_values(results, a, key),
                                 metric_values(results, b, key))
                 for _, key in BINS]
        ba, bb = (metric_values(results, row, BALANCED) for row in (a, b))
        sa, sb = shares[a], shares[b]
        d, pooled = difference(sa, sb)
        lines.append(
            f'| {a} → {b} | {format_mean_std(ba)} | {format_mean_std(bb)} | '
            f'{difference_cell(ba, bb)} | ' + ' | '.join(cells) +
            f' | {mean(sa):.1f} → {mean(sb):.1f}: {d:+.1f}, '
            f'{gain_verdict(d, pooled)} |')
    return lines


def class_table(results: Results, pairs: Sequence[Tuple[str, str]],
                changes: Dict[Tuple[str, str], Dict[str, float]]
                ) -> List[str]:
    """Each class's recall change with mixup per pair, the classes in the
    long tail's order (most training images first)."""
    counts = {r['class_name']: int(r['train_count'])
              for r in per_class_rows(next(iter(
                  results[pairs[-1][0]].values()))['run_dir'])}
    lines = ['| class | training images (long tail) | ' +
             ' | '.join(f'{b} − {a}' for a, b in pairs) + ' |',
             '|---|---:|' + '---:|' * len(pairs)]
    for c in sorted(counts, key=lambda c: -counts[c]):
        lines.append(f'| {c} | {counts[c]} | ' + ' | '.join(
            f'{changes[p][c]:+.1f}' for p in pairs) + ' |')
    return lines


def finding_lines(changes: Dict[Tuple[str, str], Dict[str, float]],
                  shares: Dict[str, List[float]],
                  pairs: Sequence[Tuple[str, str]]) -> List[str]:
    """The prior and the classes, for each prior-corrected pair
    (``shares``: :func:`many_shares` of each row, cross-entropy's too when
    it has its seeds)."""
    lines: List[str] = []
    verdicts: List[bool] = []
    base = changes[ORACLE_PAIR]
    for pair in pairs:
        if pair[0] not in PRIOR_CORRECTED:
            continue
        d, pooled = difference(shares[pair[0]], shares[pair[1]])
        ce_gap = mean(shares['ce']) - mean(
            shares[pair[0]]) if 'ce' in shares else None
        prior = (f'the many-shot share of its predictions moved {d:+.1f} '
                 f'points ({gain_verdict(d, pooled)})')
        if ce_gap is not None:
            prior += (f', against the {ce_gap:.1f} points the loss alone '
                      'took off cross-entropy\'s')
        classes = list(base)
        r, p = pearsonr([base[c] for c in classes],
                        [changes[pair][c] for c in classes])
        ratio = cost_ratio(base, changes[pair])
        same_classes = r > 0 and p < ALPHA
        verdicts.append(exceeds_noise(d, pooled) is False and same_classes)
        lines.append(
            f'- {pair[1]}: {prior}; the per-class changes correlate with '
            f'those on balanced data, Pearson r = {r:+.2f} (p = {p:.3f}, '
            f'{len(classes)} classes)' +
            (f'; on the classes mixup costs on balanced data, the long '
             f'tail loses {ratio:.1f}× as much' if ratio is not None else '')
            + '.')
    if verdicts and all(verdicts):
        lines.append(
            '- So the prior correction holds on mixed targets (the '
            'combinations\' predictions lean to the head no more than their '
            'loss alone), and what they lose is mixup\'s own cost on the '
            'classes it costs on balanced data too, larger on the long '
            'tail.')
    elif verdicts:
        lines.append(
            '- Not one explanation for every pair: a pair without both a '
            'many-shot share within the noise and a positive correlation '
            f'(p < {ALPHA}) is not explained by mixup\'s cost on the same '
            'classes alone.')
    return lines


def render(results: Results) -> str:
    """The section body from the converged protocol's results; the pairs
    without their seeds are named as not run."""
    done = [p for p in PAIRS if finished(results, p)]
    missing = [f'{a} → {b}' for a, b in PAIRS if (a, b) not in done]
    head = [
        '## Why input mixup does not add to a prior-corrected loss here '
        '(converged protocol)', '',
        'Bag of Tricks reports input mixup with balanced softmax as its '
        'best single-stage combination on CIFAR-10-LT (top-1 error 23.63 '
        'with balanced softmax alone, 18.65 with mixup too). Here each '
        'pair is the same recipe without and with the Mixup batch augment '
        f'(alpha 1.0, the whole schedule), {SEEDS} seeds each, balanced '
        'test accuracy and its shot bins (differences by the page\'s noise '
        'rule). The many-shot share: the percent of the balanced test '
        'set\'s predictions that name a many-shot class (a class is '
        'predicted recall × test images / precision times, from each '
        'run\'s per_class.csv); a prior correction that failed on mixed '
        'targets would push it back up toward cross-entropy\'s.', '']
    tail = ['', f'- Code: {git_provenance()}',
            '- Command: `python -m benchmarks.lt_evidence --sections '
            'mixup-combinations`']
    if ORACLE_PAIR not in done or len(done) < 2:
        return '\n'.join(head + [
            'Not run yet (each pair needs both rows with '
            f'{SEEDS} seeds): ' + ', '.join(missing) + '.'] + tail)
    truth = image_shares(next(iter(
        results[done[-1][0]].values()))['run_dir'])['many']
    changes = {p: class_changes(results, p) for p in done}
    rows = [row for pair in done for row in pair]
    if finished(results, ('ce', )):
        rows.append('ce')
    shares = {row: many_shares(results, row) for row in dict.fromkeys(rows)}
    body = pair_table(results, done, shares, truth) + [
        '', 'Each class\'s change of test recall with mixup (points, with − '
        'without, each the mean over seeds):', ''] + class_table(
            results, done, changes) + [''] + finding_lines(
                changes, shares, done)
    if missing:
        body += ['', 'Not run yet: ' + ', '.join(missing) + '.']
    return '\n'.join(head + body + tail)
