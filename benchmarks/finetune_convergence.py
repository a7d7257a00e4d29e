"""The ``finetune-convergence`` section of docs/benchmarks.md: whether the
fine-tuned cross-entropy baseline converged under the fine-tuning protocol
(``--protocol finetune``, 15 epochs), with the 30-epoch control (``ce-30e``,
the ``finetune-protocol-30e`` section's row). The same figures and
criterion as the converged protocol's (:mod:`benchmarks.lt_convergence`), on the fine-tuning protocol's
runs. Written by ``python -m benchmarks.lt_evidence --sections
finetune-convergence``.
"""
from benchmarks import lt_convergence
from benchmarks.common import ROOT
from benchmarks.lt_results import Results

# the protocol whose runs lt_evidence passes to render and draw
PROTOCOLS = ('finetune', )
FIGURE = 'docs/figures/finetune_ce_convergence.png'
ROW, CONTROL, CONTROL_SECTION = 'ce', 'ce-30e', 'finetune-protocol-30e'
COMMAND = 'python -m benchmarks.lt_evidence --sections finetune-convergence'


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
                                 CONTROL_SECTION, COMMAND)


def draw(results: Results) -> None:
    if results.get(ROW):
        lt_convergence.draw(results, ROOT, ROW, FIGURE, CONTROL)
