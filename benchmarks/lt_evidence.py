"""What the converged benchmark runs say beyond their tables: the command
that writes the evidence sections of docs/benchmarks.md.

Usage, from the repository root, after ``benchmarks/lt_benchmark.py`` has
run sections under the converged protocol:
``python -m benchmarks.lt_evidence [--sections NAME ...]
[--work-dir work_dirs/benchmarks]``; without ``--sections`` it writes
``convergence`` and ``paper-signs``.

It reads the runs the harness keeps (``<work-dir>/converged/<row>/seed<N>/``:
``result.json`` and the runner's ``vis_data/scalars.json``; where the work dir
lacks a run, its record under ``benchmarks/results/converged``;
:func:`benchmarks.lt_results.read_results`) and writes each section through
the module that renders it. The sections it offers are those of the page's
registry (:data:`benchmarks.page.SECTIONS`) with a ``renderer``; each
renderer module has ``render(results) -> str`` and, if the section has a
figure, ``draw(results)``:

- ``convergence`` (:mod:`benchmarks.convergence`): whether cross-entropy
  converged, with its curves and the 100-epoch control;
- ``paper-signs`` (:mod:`benchmarks.paper_signs`): each row's gain over
  cross-entropy against the sign its paper reports;
- ``group-lift`` (:mod:`benchmarks.group_lift`): each group plan against
  cross-entropy on the same group-lift data;
- ``recipe-direction`` (:mod:`benchmarks.recipe_direction`): the recipes'
  change from V1 to V4 against the reference project's, and the recipe
  ablations;
- ``focal-tail`` (:mod:`benchmarks.focal_decomposition`): the sigmoid focal
  loss taken apart;
- ``ib-switch`` (:mod:`benchmarks.ib_lr_drop`): the influence-balanced loss
  with and without its learning-rate drop;
- ``mixup-bias`` (:mod:`benchmarks.mixup_bias`): why input mixup loses to
  cross-entropy.
"""
import argparse
import importlib
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

from benchmarks.common import ROOT
from benchmarks.lt_archive import DEFAULT_RECORDS_DIR, DEFAULT_WORK_DIR
from benchmarks.lt_results import Results, read_results
from benchmarks.page import DEFAULT_OUT, SECTIONS, section, write_report

# what ``python -m benchmarks.lt_evidence`` writes without --sections
DEFAULT_SECTIONS = ('convergence', 'paper-signs')


def evidence_sections() -> List[str]:
    """The sections this command writes: the registry's sections with a
    renderer module, in page order."""
    return [s.name for s in SECTIONS if s.renderer]


def render_section(name: str, results: Results, draw: bool = False) -> str:
    """Section ``name``'s body from ``results`` by its renderer module;
    with ``draw``, its figure too (a module with a ``draw`` function)."""
    module = importlib.import_module(section(name).renderer)
    if draw and hasattr(module, 'draw'):
        module.draw(results)
    return module.render(results)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='The evidence sections of docs/benchmarks.md from the '
        'converged benchmark runs')
    parser.add_argument('--work-dir', default=DEFAULT_WORK_DIR)
    parser.add_argument('--records-dir', default=DEFAULT_RECORDS_DIR,
                        help='runs kept in the repository (read where the '
                        'work dir lacks them)')
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--sections', nargs='+',
                        choices=evidence_sections(),
                        default=list(DEFAULT_SECTIONS))
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    results = read_results(osp.join(args.work_dir, 'converged'),
                           osp.join(args.records_dir, 'converged'))
    for name in args.sections:
        write_report(args.out, name, render_section(name, results, True))
        print(f'written: section {name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
