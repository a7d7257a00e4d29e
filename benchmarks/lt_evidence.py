"""What the trained benchmark runs say beyond their tables: the command
that writes the evidence sections of docs/benchmarks.md.

Usage, from the repository root, after ``benchmarks/lt_benchmark.py`` has
run the sections they read:
``python -m benchmarks.lt_evidence [--sections NAME ...]
[--work-dir work_dirs/benchmarks] [--readme README.md]``; without
``--sections`` it writes ``convergence`` and ``paper-signs``.

It reads the runs the harness keeps, per protocol
(``<work-dir>/<protocol>/<row>/seed<N>/``: ``result.json`` and the runner's
``vis_data/scalars.json``; where the work dir lacks a run, its record under
``benchmarks/results/<protocol>``;
:func:`benchmarks.lt_results.read_results`) and writes each section through
the module that renders it. The sections it offers are those of the page's
registry (:data:`benchmarks.page.SECTIONS`) with a ``renderer``. A renderer
module names the protocols whose results it reads in ``PROTOCOLS`` (a tuple;
without one, the section's ``protocol`` in the registry, ``converged`` for
all but the fine-tuning part); this command reads each protocol the chosen
sections need once and calls ``render(*results)`` with one
``{row: {seed: result.json}}`` per protocol, in ``PROTOCOLS``' order, and,
if the section has a figure, ``draw(*results)`` likewise
(:func:`render_section`). A renderer with a README table (``readme_table``
and ``write_readme``: ``regimes``) has that table rewritten too, between
its markers in the file ``--readme`` names.

- ``convergence`` (:mod:`benchmarks.convergence`): whether cross-entropy
  converged, with its curves and the 100-epoch control;
- ``paper-signs`` (:mod:`benchmarks.paper_signs`; converged and finetune):
  each row's gain over cross-entropy against the sign its paper reports,
  and the fine-tuned gain beside it;
- ``group-lift`` (:mod:`benchmarks.group_lift`; converged and finetune):
  each group plan against cross-entropy on the same group-lift data, from
  scratch and fine-tuned, and side by side;
- ``recipe-direction`` (:mod:`benchmarks.recipe_direction`): the recipes'
  change from V1 to V4 against the reference project's, and the recipe
  ablations;
- ``regimes`` (:mod:`benchmarks.regimes`; converged and finetune): each
  method's gain from scratch against fine-tuned, and the README's table of
  it;
- ``focal-tail`` (:mod:`benchmarks.focal_decomposition`): the sigmoid focal
  loss taken apart;
- ``ib-switch`` (:mod:`benchmarks.ib_lr_drop`): the influence-balanced loss
  with and without its learning-rate drop;
- ``mixup-bias`` (:mod:`benchmarks.mixup_bias`): why input mixup loses to
  cross-entropy;
- ``mixup-combinations`` (:mod:`benchmarks.mixup_combinations`): why input
  mixup does not add to a prior-corrected loss;
- ``recipe-oracles`` (:mod:`benchmarks.recipe_oracles`): the combinations
  against the oracle trained with their own recipe, and the goal of 90% of
  the CE→oracle gap.
"""
import argparse
import importlib
import os
import os.path as osp
import sys
from types import ModuleType
from typing import (Dict, Iterable, List, Mapping, Optional, Sequence,
                    Tuple)

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


def renderer(name: str) -> ModuleType:
    """The module that renders section ``name``."""
    return importlib.import_module(section(name).renderer)


def section_protocols(name: str) -> Tuple[str, ...]:
    """The protocols whose results section ``name``'s renderer reads, in
    the order its ``render`` takes them: its module's ``PROTOCOLS``, else
    the section's protocol in the registry."""
    return tuple(getattr(renderer(name), 'PROTOCOLS',
                         (section(name).protocol, )))


def read_protocols(protocols: Iterable[str], work_dir: str = DEFAULT_WORK_DIR,
                   records_dir: str = DEFAULT_RECORDS_DIR
                   ) -> Dict[str, Results]:
    """``{protocol: results}`` of each of ``protocols`` (once each), its
    runs in ``<work_dir>/<protocol>`` and its records in
    ``<records_dir>/<protocol>``."""
    return {p: read_results(osp.join(work_dir, p), osp.join(records_dir, p))
            for p in dict.fromkeys(protocols)}


def section_inputs(name: str, results: Optional[Results] = None,
                   results_of: Optional[Mapping[str, Results]] = None
                   ) -> List[Results]:
    """The arguments of section ``name``'s ``render``: the results of each
    protocol it reads (:func:`section_protocols`), taken from
    ``results_of`` (``{protocol: results}``), ``results`` standing for its
    first protocol (the one a single-protocol renderer reads).

    Raises:
        ValueError: If ``results`` and ``results_of`` both give the first
            protocol.
        KeyError: For a protocol neither gives, naming it.
    """
    protocols = section_protocols(name)
    given = dict(results_of or {})
    if results is not None:
        if protocols[0] in given:
            raise ValueError(f'section {name!r}: the results of protocol '
                             f'{protocols[0]!r} given twice')
        given[protocols[0]] = results
    missing = [p for p in protocols if p not in given]
    if missing:
        raise KeyError(f'section {name!r} reads the results of protocols '
                       f'{list(protocols)}; none given for {missing}')
    return [given[p] for p in protocols]


def render_section(name: str, results: Optional[Results] = None,
                   draw: bool = False,
                   results_of: Optional[Mapping[str, Results]] = None) -> str:
    """Section ``name``'s body by its renderer module, from the results of
    the protocols it reads (:func:`section_inputs`: ``results`` for the
    first, ``results_of`` by protocol); with ``draw``, its figure too (a
    module with a ``draw`` function)."""
    module = renderer(name)
    inputs = section_inputs(name, results, results_of)
    if draw and hasattr(module, 'draw'):
        module.draw(*inputs)
    return module.render(*inputs)


def write_readme_table(name: str, results_of: Mapping[str, Results],
                       path: str) -> bool:
    """Rewrite the README table of section ``name`` in ``path``, if its
    renderer has one (``readme_table`` and ``write_readme``); whether it
    had."""
    module = renderer(name)
    if not (hasattr(module, 'readme_table')
            and hasattr(module, 'write_readme')):
        return False
    module.write_readme(
        module.readme_table(*section_inputs(name, results_of=results_of)),
        path)
    return True


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='The evidence sections of docs/benchmarks.md from the '
        'trained benchmark runs')
    parser.add_argument('--work-dir', default=DEFAULT_WORK_DIR)
    parser.add_argument('--records-dir', default=DEFAULT_RECORDS_DIR,
                        help='runs kept in the repository (read where the '
                        'work dir lacks them)')
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--readme', default='README.md',
                        help='the README whose table a section with one '
                        '(regimes) rewrites, between its markers')
    parser.add_argument('--sections', nargs='+',
                        choices=evidence_sections(),
                        default=list(DEFAULT_SECTIONS))
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    results_of = read_protocols(
        (p for name in args.sections for p in section_protocols(name)),
        args.work_dir, args.records_dir)
    for name in args.sections:
        write_report(args.out, name,
                     render_section(name, draw=True, results_of=results_of))
        print(f'written: section {name}')
        if write_readme_table(name, results_of, args.readme):
            print(f'written: the {name} table of {args.readme}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
