"""Why input mixup loses to cross-entropy on the protocol: a shift of the
classifier toward the classes with many images, or more than that.

Bag of Tricks reports input mixup (alpha 1.0) as a gain over cross-entropy
on CIFAR-10-LT; under the converged protocol the ``mixup`` row (the
Bag-of-Tricks chain's stage 1) loses to it. Mixing a rare-class image with
a frequent-class one (most partners of a rare image are frequent) gives the
frequent class part of the label, so the trained classifier may prefer the
frequent classes more than cross-entropy's does (the argument of Remix,
Chou et al., ECCV 2020 workshops). Two measurements tell that apart from
a worse model, both from the kept runs:

- the share of the balanced test set's predictions that go to each shot
  bin (the true share is the bin's share of the test classes): a bias to
  the head shows as more predictions of the many-shot classes and fewer of
  the few-shot ones;
- post-hoc logit adjustment (Menon et al., ICLR 2021; tau 1) on both
  models: it subtracts the training prior from the logits, so it removes a
  prior-shaped shift; if mixup's loss is such a shift, ``mixup-posthoc-la``
  comes back to ``ce-posthoc-la``; what is left of the gap is not a
  prior-shaped shift.

:func:`render` builds the ``mixup-bias`` section of
docs/benchmarks.md from the runs of ``ce``, ``ce-posthoc-la`` (section
lt-losses), ``mixup`` and ``mixup-posthoc-la`` (section lt-bag-of-tricks).
Usage, from the repository root::

    python -m benchmarks.lt_evidence --sections mixup-bias
"""
from typing import Dict, List

from benchmarks.common import git_provenance
from benchmarks.lt_curves import (BALANCED, FLAT_POINTS, fmt_change, is_flat,
                                  val_change_over_last_fifth)
from benchmarks.lt_logs import mean_std
from benchmarks.lt_results import (SHOT_BINS, Results, change_on,
                                   image_shares, prediction_shares,
                                   require_seeds, run_curves)
from benchmarks.lt_tables import shot_delta_lines, val_curve_lines
from benchmarks.noise import difference, exceeds_noise, noise_verdict

BASE = 'ce'
ROWS = ('ce-posthoc-la', 'mixup', 'mixup-posthoc-la')
BINS = SHOT_BINS
FEW = 'long_tail/few_shot'


def _share_values(results: Results, row: str) -> Dict[str, List[float]]:
    shares = [prediction_shares(run['run_dir'])
              for _, run in sorted(results[row].items())]
    return {b: [s[b] for s in shares] for b in BINS}


def verdict(delta: float, pooled: float) -> str:
    """What ``mixup-posthoc-la`` − ``ce-posthoc-la`` (balanced accuracy)
    says about mixup's model once the prior-shaped shift is taken out, by
    the page's noise rule."""
    beyond = exceeds_noise(delta, pooled)
    if beyond is None:
        return 'one seed: no verdict.'
    if not beyond:
        return ('within the noise: once the prior is taken out of the '
                'logits, mixup\'s model is as good as cross-entropy\'s, so '
                'what it loses is a prior-shaped shift of its classifier '
                'toward the many-shot classes.')
    if delta < 0:
        return ('beyond the noise, below: the prior correction does not '
                'bring mixup back to cross-entropy, so mixup loses more than '
                'a prior-shaped shift toward the many-shot classes: its '
                'model is worse on this data and schedule even with the '
                'shift removed.')
    return ('beyond the noise, above: with the prior taken out, mixup beats '
            'cross-entropy; its loss without the correction is the shift '
            'of its classifier toward the many-shot classes.')


def render(results: Results, seeds: int = 3) -> str:
    """The ``mixup-bias`` section body.

    Raises:
        FileNotFoundError: If a row lacks ``seeds`` finished runs, naming
            the rows, what they have and the section that runs them.
    """
    require_seeds(results, (BASE, 'ce-posthoc-la'), 'lt-losses', seeds)
    require_seeds(results, ('mixup', 'mixup-posthoc-la'),
                  'lt-bag-of-tricks', seeds)
    rows = [BASE] + list(ROWS)
    lines = shot_delta_lines(results, BASE, list(ROWS),
                             'Why input mixup loses to cross-entropy here')
    truth = image_shares(next(iter(results[BASE].values()))['run_dir'])
    shares = {row: _share_values(results, row) for row in rows}
    lines += ['', 'Share of the balanced test set\'s predictions that name '
              'a class of each shot bin, percent (mean ± sample std over '
              'seeds; a class is predicted recall × test images / precision '
              'times, from each run\'s per_class.csv):', '',
              '| row | ' + ' | '.join(BINS) + ' |',
              '|---|' + '---:|' * len(BINS),
              '| test images | ' + ' | '.join(f'{truth[b]:.1f}'
                                             for b in BINS) + ' |']
    for row in rows:
        cells = []
        for b in BINS:
            m, sd, _ = mean_std(shares[row][b])
            cells.append(f'{m:.1f} ± {sd:.1f}')
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    lines += ['']
    for b in ('many', 'few'):
        delta, pooled = difference(shares[BASE][b], shares['mixup'][b])
        lines.append(f'- {b}-shot share of the predictions, mixup − ce: '
                     f'{delta:+.1f} points '
                     f'({noise_verdict(exceeds_noise(delta, pooled))}).')
    for without, with_, what in (
            (BASE, 'mixup', 'mixup on cross-entropy'),
            ('ce-posthoc-la', 'mixup-posthoc-la',
             'mixup on cross-entropy, both logit-adjusted')):
        parts = []
        for key, label in ((FEW, 'few-shot'), (BALANCED, 'balanced')):
            delta, pooled = change_on(results, without, with_, key)
            parts.append(f'{label} {delta:+.2f} '
                         f'({noise_verdict(exceeds_noise(delta, pooled))})')
        lines.append(f'- {what} ({with_} − {without}): '
                     + ', '.join(parts) + '.')
    delta, pooled = change_on(results, 'ce-posthoc-la', 'mixup-posthoc-la',
                              BALANCED)
    total, _ = change_on(results, BASE, 'mixup', BALANCED)
    lift = {row: change_on(results, row, f'{row}-posthoc-la', BALANCED)[0]
            for row in (BASE, 'mixup')}
    lines += ['', f'With the prior taken out ({delta:+.2f} balanced, pooled '
              f'std {pooled:.2f}): ' + verdict(delta, pooled),
              '', f'The adjustment lifts mixup by {lift["mixup"]:+.2f} and '
              f'cross-entropy by {lift[BASE]:+.2f}, so of mixup\'s '
              f'{total:+.2f} balanced on cross-entropy, '
              f'{lift[BASE] - lift["mixup"]:+.2f} is the extra shift of its '
              f'classifier to the head and {delta:+.2f} what is left with '
              'the prior taken out of both.']
    fifth = {row: val_change_over_last_fifth(run_curves(results, row))
             for row in (BASE, 'mixup')}
    lines += ['', 'Over the last fifth of training, validation balanced '
              f'accuracy moves {fmt_change(fifth["mixup"], 2)} points for '
              f'mixup and {fmt_change(fifth[BASE], 2)} for cross-entropy '
              '(mean over seeds; the convergence section\'s criterion is '
              f'|change| < {FLAT_POINTS})' + (
                  ': mixup\'s curve has not flattened by that criterion, so '
                  'part of what is left may be the length of the schedule '
                  '(not measured here).'
                  if fifth['mixup'] is not None and not is_flat(fifth['mixup'])
                  else '.')]
    # the two trained rows (the logit-adjusted ones are tested only)
    lines += val_curve_lines(results, [BASE, 'mixup'], BALANCED,
                             'Balanced accuracy')
    lines += [
        '',
        'Rows: `ce` and `ce-posthoc-la` are the lt-losses section\'s '
        '(cross-entropy; its checkpoint tested with post-hoc logit '
        'adjustment, tau 1); `mixup` is the lt-bag-of-tricks section\'s '
        'Bag-of-Tricks stage 1 (input mixup, alpha 1.0, every epoch, soft-'
        'label cross-entropy), `mixup-posthoc-la` its checkpoint tested '
        'with the same adjustment. Same seeds, data and schedule.',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence --sections '
        'mixup-bias`',
    ]
    return '\n'.join(lines)
