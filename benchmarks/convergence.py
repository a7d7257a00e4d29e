"""The ``convergence`` section of docs/benchmarks.md: whether the
cross-entropy baseline converged under the converged protocol (60 epochs),
with the longer-schedule control (``ce-100e``, the ``protocol-100e``
section's row); the curves as ``docs/figures/ce_convergence.png``. The
body and figure: :mod:`benchmarks.lt_convergence`. Written by
``python -m benchmarks.lt_evidence`` (with ``paper-signs``).
"""
from benchmarks import lt_convergence
from benchmarks.common import ROOT
from benchmarks.lt_results import Results

FIGURE = 'docs/figures/ce_convergence.png'


def render(results: Results, row: str = 'ce', figure: str = FIGURE,
           control: str = 'ce-100e') -> str:
    return lt_convergence.render(results, row, figure, control)


def draw(results: Results, root: str = ROOT, row: str = 'ce',
         figure: str = FIGURE, control: str = 'ce-100e') -> None:
    lt_convergence.draw(results, root, row, figure, control)
