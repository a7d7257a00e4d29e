"""The ``finetune-convergence`` section of docs/benchmarks.md: whether the
fine-tuned cross-entropy baseline converged under the fine-tuning protocol
(``--protocol finetune``, 20 epochs), with the 30-epoch control (``ce-30e``,
the ``finetune-protocol-30e`` section's row). The same figures and
criterion as the converged protocol's (:mod:`benchmarks.lt_convergence`), on the fine-tuning protocol's
runs. Written by ``python -m benchmarks.lt_evidence --sections
finetune-convergence``.
"""
from typing import List

from benchmarks import lt_convergence
from benchmarks.common import ROOT
from benchmarks.lt_curves import (FLAT_POINTS, change_over_last_fifth,
                                  fmt_change)
from benchmarks.lt_results import Results, run_curves

# the protocol whose runs lt_evidence passes to render and draw
PROTOCOLS = ('finetune', )
FIGURE = 'docs/figures/finetune_ce_convergence.png'
ROW, CONTROL, CONTROL_SECTION = 'ce', 'ce-30e', 'finetune-protocol-30e'
COMMAND = 'python -m benchmarks.lt_evidence --sections finetune-convergence'
# the schedules the protocol's was picked from (the finetune-schedule
# section's rows, seed 0): (row, what it changes against the protocol)
CANDIDATES = (
    ('ce-lr0.01', 'lr 0.01, batch 64, 15 epochs'),
    ('ce-b32', 'lr 0.01, batch 32, 15 epochs'),
    ('ce-lr0.03', 'lr 0.03, batch 64, 15 epochs'),
    ('ce-lr0.01-30e', 'lr 0.01, batch 64, 30 epochs'),
    ('ce-30e', 'lr 0.03, batch 64, 30 epochs (the control)'),
    ('ce', 'lr 0.03, batch 64, 20 epochs (the protocol)'),
)


def candidate_lines(results: Results) -> List[str]:
    """How the schedule was picked: each candidate's validation balanced
    accuracy at the end and its change over the last fifth (seed 0, the
    held-out split; the test figures are the finetune-schedule section's,
    never used to pick)."""
    lines = ['', '### How the schedule was picked (validation only)', '',
             '| row | schedule | seed | validation balanced accuracy at the '
             'end | mean over the last fifth | its change over the last '
             'fifth (points) |', '|---|---|---:|---:|---:|---:|']
    for row, what in CANDIDATES:
        curves = run_curves(results, row)
        if 0 not in curves:
            lines.append(f'| {row} | {what} | 0 | not run yet | | |')
            continue
        epochs, _, val = curves[0]
        fifth = [v for e, v in val.items() if e >= 0.8 * epochs]
        lines.append(
            f'| {row} | {what} | 0 | {val[max(val)]:.2f} | '
            f'{sum(fifth) / len(fifth):.2f} | '
            f'{fmt_change(change_over_last_fifth(val, epochs), 2)} |')
    lines += ['', 'The pick: lr 0.03 at batch 64, the highest validation '
              'accuracy over the last fifth among the 15-epoch schedules; '
              'its curve still rose over the last fifth at 15 epochs (a '
              f'change of {FLAT_POINTS} points or more) and the same '
              'schedule over 30 epochs tested higher (finetune-schedule, '
              'finetune-protocol-30e). The protocol trains 20 epochs, the '
              'length at which the 30-epoch run\'s validation accuracy had '
              'levelled off, and the 30-epoch run is its control: the '
              'paragraph above says whether 20 epochs stop short of it.']
    return lines


def render(results: Results) -> str:
    """The section body; before the first finished ``ce`` run of the
    fine-tuning protocol, a body that says so and how to train it."""
    if not results.get(ROW):
        return '\n'.join([
            '## Convergence of the cross-entropy baseline (finetune '
            'protocol)', '',
            f'No finished `{ROW}` run of the fine-tuning protocol yet: '
            '`python -m benchmarks.lt_benchmark --section finetune-methods '
            f'--rows {ROW} --reuse` trains it.', '',
            f'- Command: `{COMMAND}`'])
    return lt_convergence.render(results, ROW, FIGURE, CONTROL, 'finetune',
                                 CONTROL_SECTION, COMMAND,
                                 extra_lines=candidate_lines(results))


def draw(results: Results) -> None:
    if results.get(ROW):
        lt_convergence.draw(results, ROOT, ROW, FIGURE, CONTROL)
