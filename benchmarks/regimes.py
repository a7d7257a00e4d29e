"""The ``regimes`` section of docs/benchmarks.md, and the table of the
README's "Which method should I use?": each method's gain over
cross-entropy from scratch against the same method fine-tuned.

Two trained protocols (:data:`PROTOCOLS`, the results ``render`` takes, in
that order): ``converged``, ResNet-20 from random weights at 28x28, and
``finetune``, EfficientNet-Lite0 from ImageNet-1k weights fine-tuned at
80x60. The rows are the methods the ``finetune-methods`` plan shares with the
converged protocol's plans, in the fine-tuning plan's order
(:func:`method_rows`); each is compared with the ``ce`` row of its own
protocol on test balanced accuracy and few-shot accuracy, by the page's
noise rule (:func:`benchmarks.noise.gain_verdict`: helps, within noise,
hurts). A method's column holds a number only once it and ``ce`` have
:data:`SEEDS` finished runs under that protocol; until then it says
:data:`NOT_RUN`. *Flips* (:func:`flips`): the two verdicts differ, any
change among helps, within noise and hurts (helps to within noise counts
as helps to hurts does).

Under the table, what pretraining buys: ``ce`` fine-tuned against
``ce-scratch`` (the same EfficientNet-Lite0 from random weights, same
protocol) per shot bin.

:func:`readme_table` is the compact form (method, the two verdicts with
their Δ, flips) that :func:`write_readme` puts into README.md between
:data:`README_START` and :data:`README_END`; ``python -m
benchmarks.lt_evidence --sections regimes`` writes both.
"""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional

from benchmarks.common import ROOT, git_provenance
from benchmarks.lt_curves import BALANCED
from benchmarks.lt_logs import mean_std
from benchmarks.lt_protocol import section_plan
from benchmarks.lt_results import (Results, change_on, last_fifth_line,
                                   metric_values)
from benchmarks.noise import WITHIN, gain_verdict
from benchmarks.page import SECTIONS, github_anchor

# the results render() takes, in its arguments' order
PROTOCOLS = ('converged', 'finetune')
SCRATCH, FINETUNED = PROTOCOLS
METHODS_SECTION = 'finetune-methods'
BASE = 'ce'
# the fine-tuning protocol's network trained from random weights
SCRATCH_BASE = 'ce-scratch'
SEEDS = 3
NOT_RUN = 'not run yet'
FEW = 'long_tail/few_shot'
# what pretraining buys: (metric key, label), in the table's order
PRETRAINING_FIGURES = (('long_tail/many_shot', 'many'),
                       ('long_tail/medium_shot', 'medium'), (FEW, 'few'),
                       (BALANCED, 'balanced'))

HEADING = ('From scratch against fine-tuned: each method\'s gain over '
           'cross-entropy')
COMMAND = 'python -m benchmarks.lt_evidence --sections regimes'
REGIMES = (
    '**From scratch**: ResNet-20 from random weights on 28x28 images (the '
    'converged protocol: the rows of the losses, samplers, heads and '
    'bag-of-tricks sections). **Fine-tuned**: EfficientNet-Lite0 from '
    'ImageNet-1k weights, fine-tuned at 80x60 (the fine-tuning protocol: '
    'the `finetune-methods` section). Both on the same long-tailed draw of '
    'Fashion-MNIST (imbalance ratio 100, n_max 1,000), validated on the '
    'held-out split and tested on the balanced 10k test set, '
    f'{SEEDS} seeds per row.')
RULE = (
    'Δ: the method\'s test accuracy minus that of cross-entropy trained '
    'under the same protocol, in points (means over seeds); the verdict is '
    'the page\'s noise rule, with pooled std sqrt((s_row² + s_ce²) / 2): '
    '*helps* when Δ > 2 × pooled std, *hurts* when Δ < −2 × pooled std, '
    '*within noise* otherwise. *flips?*: yes when the two regimes\' '
    'balanced-accuracy verdicts differ (any change among helps, within '
    'noise and hurts), — while either is not run yet. A column shows a '
    f'number only once the method and cross-entropy have {SEEDS} finished '
    f'seeds under its protocol; before that it says {NOT_RUN}.')

README = osp.join(ROOT, 'README.md')
README_START, README_END = '<!-- regimes:start -->', '<!-- regimes:end -->'
README_MAX_LINES = 300


def method_rows() -> List[str]:
    """The rows of the ``finetune-methods`` plan that a converged plan has
    too, but the baselines, in the fine-tuning plan's order."""
    converged = {c.name for s in SECTIONS
                 if s.title and s.protocol == SCRATCH
                 for c in section_plan(s.name)[1]}
    return [c.name for c in section_plan(METHODS_SECTION)[1]
            if c.name in converged and c.name not in (BASE, SCRATCH_BASE)]


def finished(results: Results, row: str) -> bool:
    """``row`` has its :data:`SEEDS` finished runs in ``results``."""
    return len(results.get(row, {})) >= SEEDS


@dataclass(frozen=True)
class Change:
    """A row's mean minus its baseline's, and their pooled std."""
    delta: float
    pooled_std: float

    @property
    def verdict(self) -> str:
        return gain_verdict(self.delta, self.pooled_std)


def change(results: Results, row: str, key: str = BALANCED,
           base: str = BASE) -> Optional[Change]:
    """``row``'s change on ``base`` in ``key``; None until both have
    :data:`SEEDS` finished runs."""
    if not (finished(results, row) and finished(results, base)):
        return None
    return Change(*change_on(results, base, row, key))


def flips(scratch: Optional[Change],
          finetuned: Optional[Change]) -> Optional[bool]:
    """The two verdicts differ (None while either is not run yet)."""
    if scratch is None or finetuned is None:
        return None
    return scratch.verdict != finetuned.verdict


def _flips_cell(scratch: Optional[Change],
                finetuned: Optional[Change]) -> str:
    flipped = flips(scratch, finetuned)
    return '—' if flipped is None else 'yes' if flipped else 'no'


def _bar(c: Change) -> str:
    return f'{c.delta:+.2f} against its noise bar {2 * c.pooled_std:.2f}'


def flip_reason(scratch: Results, finetuned: Results,
                row: str) -> Optional[str]:
    """Why ``row``'s advice flips, from the figures alone; None when it
    does not (or is not run yet in both). *Same direction*: both changes
    have one sign and one of them is within the noise, so the flip is one
    of size: each Δ against its bar (2 × pooled std) says which. *Opposite
    directions*: the change per shot bin in both regimes says where the
    method's effect turns."""
    s, f = change(scratch, row), change(finetuned, row)
    if not flips(s, f):
        return None
    if s.delta * f.delta > 0:
        return (f'same direction, a difference of size: from scratch '
                f'{_bar(s)} ({s.verdict}), fine-tuned {_bar(f)} '
                f'({f.verdict})')
    bins = []
    for key, label in PRETRAINING_FIGURES[:3]:
        cs, cf = change(scratch, row, key), change(finetuned, row, key)
        bins.append(f'{label} {cs.delta:+.2f} / {cf.delta:+.2f}')
    return ('opposite directions; Δ per shot bin, from scratch / fine-'
            'tuned: ' + ', '.join(bins))


def _readme_flips_cell(s: Optional[Change], f: Optional[Change]) -> str:
    """The README's flips cell of a row's changes from scratch (``s``)
    and fine-tuned (``f``): with a flip of size, which side stays within
    the noise and by how much."""
    cell = _flips_cell(s, f)
    if cell == 'yes' and s.delta * f.delta > 0:
        quiet, c = (('from scratch', s) if s.verdict == WITHIN else
                    ('fine-tuned', f))
        cell += (f': same sign, {quiet} {c.delta:+.1f} within its noise '
                 f'bar {2 * c.pooled_std:.1f}')
    return cell


def _cell(c: Optional[Change]) -> str:
    return NOT_RUN if c is None else f'{c.delta:+.2f} ({c.verdict})'


def _short_cell(c: Optional[Change]) -> str:
    return NOT_RUN if c is None else f'{c.verdict} ({c.delta:+.1f})'


def _mean_std(results: Results, row: str, key: str) -> str:
    m, sd, n = mean_std(metric_values(results, row, key))
    return f'{m:.2f} ± {sd:.2f} ({n})'


def method_table(scratch: Results, finetuned: Results) -> List[str]:
    """Per method: Δ balanced accuracy from scratch and fine-tuned, flips,
    and Δ few-shot accuracy in both."""
    lines = ['| method | from scratch: Δ balanced | fine-tuned: Δ balanced '
             '| flips? | from scratch: Δ few-shot | fine-tuned: Δ few-shot '
             '|',
             '|---|---:|---:|---|---:|---:|']
    for row in method_rows():
        s, f = change(scratch, row), change(finetuned, row)
        lines.append(f'| {row} | {_cell(s)} | {_cell(f)} | '
                     f'{_flips_cell(s, f)} | '
                     f'{_cell(change(scratch, row, FEW))} | '
                     f'{_cell(change(finetuned, row, FEW))} |')
    return lines


def baseline_line(scratch: Results, finetuned: Results) -> str:
    """Cross-entropy's own balanced accuracy in both regimes."""
    def one(results: Results) -> str:
        return _mean_std(results, BASE, BALANCED) \
            if finished(results, BASE) else NOT_RUN

    return ('Cross-entropy, the baseline of each column, test balanced '
            'accuracy (mean ± sample std, seeds): from scratch '
            f'{one(scratch)}; fine-tuned {one(finetuned)}.')


def pretraining_lines(finetuned: Results) -> List[str]:
    """``ce`` fine-tuned against ``ce-scratch`` per shot bin, or what is
    missing."""
    if not (finished(finetuned, BASE) and finished(finetuned, SCRATCH_BASE)):
        have = ', '.join(f'`{r}` {len(finetuned.get(r, {}))} of {SEEDS}'
                         for r in (BASE, SCRATCH_BASE))
        return [f'What pretraining buys (`{BASE}` against `{SCRATCH_BASE}`, '
                f'fine-tuning protocol): {NOT_RUN} ({have} seeds).']
    lines = [
        f'What pretraining buys: `{BASE}` (EfficientNet-Lite0 from '
        f'ImageNet-1k weights) against `{SCRATCH_BASE}` (the same network '
        'and fine-tuning protocol from random weights), test accuracy per '
        'shot bin, mean ± sample std (seeds), and the change with the '
        'noise verdict:',
        '',
        f'| shot bin | {SCRATCH_BASE} | {BASE} (fine-tuned) | Δ |',
        '|---|---:|---:|---:|',
    ]
    for key, label in PRETRAINING_FIGURES:
        c = change(finetuned, BASE, key, base=SCRATCH_BASE)
        lines.append(f'| {label} | {_mean_std(finetuned, SCRATCH_BASE, key)}'
                     f' | {_mean_std(finetuned, BASE, key)} | {_cell(c)} |')
    return lines + [
        '', 'Converged? ' + last_fifth_line(finetuned, (SCRATCH_BASE, BASE))
        + '. A row not flat still rose at the end of its schedule, so the '
        'difference is the one at that schedule.']


def flip_lines(scratch: Results, finetuned: Results) -> List[str]:
    """One line per method whose advice flips (:func:`flip_reason`)."""
    reasons = [(row, flip_reason(scratch, finetuned, row))
               for row in method_rows()]
    reasons = [(row, why) for row, why in reasons if why]
    if not reasons:
        return []
    return ['Where the advice flips, and why (from the same records):', ''] \
        + [f'- {row}: {why}.' for row, why in reasons] + ['']


def render(scratch: Results, finetuned: Results) -> str:
    """The ``regimes`` section body from the converged and the fine-tuning
    protocol's finished runs (either may be empty)."""
    return '\n'.join([
        f'## {HEADING}',
        '',
        REGIMES,
        '',
    ] + method_table(scratch, finetuned) + [
        '',
    ] + flip_lines(scratch, finetuned) + [
        baseline_line(scratch, finetuned),
        '',
    ] + pretraining_lines(finetuned) + [
        '',
        RULE + ' The command below also writes the compact form of the table '
        'into README.md ("Which method should I use?").',
        f'- Code: {git_provenance()}',
        f'- Command: `{COMMAND}`',
    ])


# ------------------------------------------------------------- the README
def readme_table(scratch: Results, finetuned: Results) -> str:
    """The README's compact table: per method, the balanced-accuracy
    verdicts with their Δ from scratch and fine-tuned, and flips."""
    lines = ['| method | from scratch | fine-tuned | flips? |',
             '|---|---|---|---|']
    for row in method_rows():
        s, f = change(scratch, row), change(finetuned, row)
        lines.append(f'| {row} | {_short_cell(s)} | {_short_cell(f)} | '
                     f'{_readme_flips_cell(s, f)} |')
    return '\n'.join(lines)


def section_link() -> str:
    """The section's address in docs/benchmarks.md, from the README."""
    return f'docs/benchmarks.md#{github_anchor(HEADING)}'


def replace_readme_block(text: str, block: str) -> str:
    """``text`` with ``block`` between :data:`README_START` and
    :data:`README_END`, everything else kept.

    Raises:
        ValueError: Unless each marker is there once, the start first.
    """
    n_start, n_end = text.count(README_START), text.count(README_END)
    if (n_start, n_end) != (1, 1) or \
            text.index(README_END) < text.index(README_START):
        raise ValueError(
            f'README.md needs one {README_START} and then one {README_END} '
            '(in "Which method should I use?") for the regimes table; found '
            f'{n_start} and {n_end}')
    i = text.index(README_START) + len(README_START)
    return text[:i] + '\n' + block.strip() + '\n' + \
        text[text.index(README_END):]


def write_readme(block: str, path: str = README,
                 max_lines: int = README_MAX_LINES) -> None:
    """Put ``block`` (:func:`readme_table`) into the README at ``path``.

    Raises:
        ValueError: For missing markers (:func:`replace_readme_block`), or
            a README that would grow past ``max_lines`` lines.
    """
    with open(path) as f:
        new = replace_readme_block(f.read(), block)
    lines = len(new.splitlines())
    if lines > max_lines:
        raise ValueError(f'{path} would have {lines} lines with the regimes '
                         f'table, more than {max_lines}: move text to '
                         'docs/reference.md first')
    with open(path, 'w') as f:
        f.write(new)
