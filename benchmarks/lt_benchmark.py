"""Long-tail benchmark on Fashion-MNIST-LT (IR 100).

Usage, from the repository root:
``python -m benchmarks.lt_benchmark --section lt-losses [--reuse]`` (a
planned section of the converged protocol, see ``benchmarks/lt_protocol.py``)
or ``python -m benchmarks.lt_benchmark --protocol smoke --configs NAME=PATH
...``.

Trains each config with several seeds under one protocol (``converged``:
each config's own schedule; ``smoke``: a fixed short ``--epochs`` for every
row), tests the final checkpoint on the balanced 10,000-image test set and
writes one section of ``docs/benchmarks.md``: top-1, balanced accuracy,
many/medium/few-shot accuracy and macro-F1 (mean ± sample std over seeds, in
percent), seconds per training epoch and the peak resident memory of the
training process, plus the machine, the schedule and the command. Not run
in CI. ``--reuse`` keeps finished runs, so a long section is run over
several sittings; ``--render-only`` trains nothing and writes the section
from the kept runs (the run records under ``benchmarks/results`` are enough,
see :mod:`benchmarks.lt_archive`), which is how the tests check the page.

Each training run and each test is its own subprocess
(``tools/train.py`` / ``tools/test.py``) in a fresh work dir.

How the figures are measured:

- s/epoch: from the runner's json log (``vis_data/scalars.json``): the
  median of the logged iteration times (mmengine's ``time``, each the mean
  over a logging window of 10 iterations) times the iterations per epoch.
  The median keeps a burst of other work on a shared machine from
  dominating; it excludes start-up, checkpoint saving and validation. The
  per-run wall clock (train + test, start-up included) is reported beside
  it.
- peak RSS: ``ru_maxrss`` of the training process from ``os.wait4`` on that
  child alone (Linux: the largest resident set of the process or any of its
  waited-for descendants such as dataloader workers; not their sum).
"""
import argparse
import os
import os.path as osp
import sys
from typing import Optional, Sequence

from benchmarks.common import ROOT, git_provenance, machine_info
from benchmarks.lt_archive import DEFAULT_RECORDS_DIR, DEFAULT_WORK_DIR
from benchmarks.lt_combinations import ORACLES
from benchmarks.lt_gap import BALANCED, GapReference
from benchmarks.lt_logs import METRIC_COLUMNS
from benchmarks.lt_protocol import (PROTOCOLS, SECTION_COLUMNS, SECTION_DATA,
                                    planned_sections, section_plan)
from benchmarks.lt_render import (command_line, describe_data, describe_row,
                                  describe_schedule, render_section)
from benchmarks.lt_rows import (PLACEHOLDERS, attach_row_options,
                                parse_config_spec, rows_to_train)
from benchmarks.lt_runs import kept_runs, run_one
from benchmarks.page import (DEFAULT_OUT, SECTIONS, check_section_name,
                             write_report)

DEFAULT_SEEDS = (0, 1, 2)
# the smoke protocol's fixed schedule
DEFAULT_EPOCHS = 4
DEFAULT_PROTOCOL = 'converged'
DEFAULT_SECTION = 'lt-losses'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train configs on Fashion-MNIST-LT with a fixed '
        'schedule and several seeds; write a section of docs/benchmarks.md')
    parser.add_argument(
        '--protocol',
        choices=sorted(PROTOCOLS),
        help='default: the protocol of --section in the page\'s registry '
        f'(benchmarks/page.py), else {DEFAULT_PROTOCOL}; a section of one '
        'of the trained protocols refuses the other. ' +
        '; '.join(f'{p.name}: {p.description}' for p in PROTOCOLS.values()))
    parser.add_argument(
        '--configs',
        nargs='+',
        type=parse_config_spec,
        help='rows as NAME=PATH (or PATH: the name is the file stem); '
        'default: the plan of --section (planned: '
        f'{", ".join(planned_sections())})')
    parser.add_argument(
        '--seeds', nargs='+', type=int, default=list(DEFAULT_SEEDS))
    parser.add_argument(
        '--epochs',
        type=int,
        help='the smoke protocol\'s fixed schedule for every row (>= 2: '
        f'the lr warm-up takes one epoch; default {DEFAULT_EPOCHS}); the '
        'converged protocol refuses it (each config has its own)')
    parser.add_argument('--work-dir', default=DEFAULT_WORK_DIR)
    parser.add_argument(
        '--records-dir',
        default=DEFAULT_RECORDS_DIR,
        help='where finished runs of the converged protocol are kept, '
        'without checkpoints, for --reuse on another machine (tracked in '
        'the repository; see benchmarks/lt_archive.py)')
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument(
        '--section',
        type=check_section_name,
        default=DEFAULT_SECTION,
        help='section of --out to rewrite (between <!-- bench:NAME:start '
        '--> and <!-- bench:NAME:end -->)')
    parser.add_argument(
        '--title', help='section heading (default: from --section)')
    parser.add_argument(
        '--note', help='a line of context added to the section')
    parser.add_argument(
        '--python',
        default=sys.executable,
        help='interpreter for tools/train.py and tools/test.py')
    parser.add_argument(
        '--reuse',
        action='store_true',
        help='keep finished runs (same config and epochs) of an earlier, '
        'interrupted invocation instead of training them again')
    parser.add_argument(
        '--render-only',
        action='store_true',
        help='train and test nothing: write the section from the kept runs '
        '(work dir or records) alone, naming rows without them as not run '
        'yet (the printed command is the one with --reuse)')
    parser.add_argument(
        '--rows',
        nargs='+',
        metavar='ROW',
        help='train only these rows (and the rows they start from); the '
        'section then shows every row whose runs of all --seeds are kept '
        'and names the others as not run yet (a long section committed '
        'as its rows finish)')
    parser.add_argument(
        '--after',
        action='append',
        default=[],
        metavar='ROW=STAGE1',
        help='two-stage rows: ROW starts from the final checkpoint of the '
        'earlier row STAGE1 with the same seed (load_from)')
    parser.add_argument(
        '--prepare',
        action='append',
        default=[],
        metavar='ROW=COMMAND',
        help='a command run before training ROW (e.g. a data generator); '
        'placeholders: ' + ', '.join(f'{{{p}}}' for p in PLACEHOLDERS))
    parser.add_argument(
        '--row-cfg',
        action='append',
        default=[],
        metavar='ROW=KEY=VALUE',
        help='an extra --cfg-options item for ROW (placeholders as '
        '--prepare)')
    parser.add_argument(
        '--test-only',
        action='append',
        default=[],
        metavar='ROW=CHECKPOINT',
        help='ROW is not trained: its config is tested with CHECKPOINT '
        '(placeholders as --prepare), e.g. a checkpoint --prepare wrote')
    args = parser.parse_args(argv)
    try:
        args.protocol = section_protocol(args.section, args.protocol)
    except ValueError as e:
        parser.error(str(e))
    protocol = PROTOCOLS[args.protocol]
    if protocol.epochs is None:
        if args.epochs is not None:
            parser.error(f'--epochs {args.epochs} with --protocol '
                         f'{args.protocol}: that protocol trains each config '
                         'for its own schedule; use --protocol smoke for a '
                         'fixed one')
    else:
        if args.epochs is None:
            args.epochs = protocol.epochs
        if args.epochs < 2:
            parser.error(f'--epochs must be >= 2, got {args.epochs}')
    # a section rendered from kept runs alone prints the command that
    # renders it again so (the runs of --reuse are those it read)
    args.reuse = args.reuse or args.render_only
    args.fixed_epochs = protocol.epochs is not None
    # converged rows are shared across sections (the cross-entropy stage 1)
    args.run_key = None if args.fixed_epochs else protocol.name
    args.planned_title = None
    if args.configs is None:
        if args.after or args.prepare or args.row_cfg or args.test_only:
            parser.error('--after/--prepare/--row-cfg/--test-only go with '
                         '--configs; a planned section chains its rows '
                         'itself')
        try:
            args.planned_title, args.configs = section_plan(args.section)
        except KeyError as e:
            parser.error(e.args[0])
    names = [c.name for c in args.configs]
    if len(set(names)) != len(names):
        parser.error(f'row names must be unique, got {names}')
    if args.planned_title is None:
        try:
            attach_row_options(args)
        except ValueError as e:
            parser.error(str(e))
    try:
        args.train_rows = rows_to_train(args.configs, args.rows)
    except ValueError as e:
        parser.error(str(e))
    return args



def section_protocol(name: str, protocol: Optional[str]) -> str:
    """The protocol a run of section ``name`` uses: ``protocol`` when
    given, else the section's in the page's registry (``converged`` for a
    section not in it). A registered section refuses the other protocol
    with shared rows (its rows are kept under their protocol's name, so
    ``finetune`` rows under ``converged`` would mix two protocols on one
    page); ``smoke``, a check of the configs, goes with any section.

    Raises:
        ValueError: Naming the section, both protocols and the fix.
    """
    registered = {s.name: s.protocol for s in SECTIONS}.get(name)
    if protocol is None:
        return registered or DEFAULT_PROTOCOL
    if registered and protocol != registered and \
            PROTOCOLS[protocol].epochs is None:
        raise ValueError(
            f'section {name!r} is a section of the {registered} protocol '
            f'(benchmarks/page.py), not of --protocol {protocol}: use '
            f'--protocol {registered} (or leave --protocol out)')
    return protocol


def gap_reference(args: argparse.Namespace) -> Optional[GapReference]:
    """The ends of the CE→oracle gap of ``args``' protocol, from the kept
    runs of its cross-entropy and oracle rows (``lt_combinations.ORACLES``)
    among ``args.seeds``; None (no gap column) for a protocol without an
    oracle or whose oracle has no kept run yet, and for a section with its
    own columns (group-lift, recipes: other data)."""
    pair = ORACLES.get(args.protocol) if args.run_key else None
    if pair is None or args.section in SECTION_COLUMNS:
        return None
    ce, oracle = (
        [r.metrics[BALANCED] for r in kept_runs(spec, args.seeds, args)]
        for spec in pair)
    if not oracle:
        return None
    return GapReference(ce=ce, oracle=oracle, seeds=len(args.seeds),
                        ce_config=pair[0].path, oracle_config=pair[1].path)


def render(args: argparse.Namespace, machine: str) -> str:
    """The section's body from the kept runs of ``args.configs`` (work dir
    or records; rows without a kept run of every seed named as not run
    yet), its header lines from the configs, ``machine`` and the code."""
    results, pending = [], []
    specs = {c.name: c for c in args.configs}
    for spec in args.configs:
        kept = kept_runs(spec, args.seeds, args, specs)
        if len(kept) == len(args.seeds):
            results += kept
        else:
            pending.append(f'{spec.name} ({len(kept)} of '
                           f'{len(args.seeds)} seeds)')
    info = dict(
        title=args.title or args.planned_title or
        f'Fashion-MNIST-LT (IR 100): {args.section}',
        machine=machine,
        schedule=describe_schedule(args.configs[0].path, args.epochs,
                                   PROTOCOLS[args.protocol],
                                   args.configs[0].cfg),
        data=SECTION_DATA.get(args.section) or
        describe_data(args.configs[0].path),
        provenance=git_provenance(),
        note=args.note,
        rows='; '.join(describe_row(c) for c in args.configs),
        command=command_line(args),
        pending=', '.join(pending))
    return render_section(results, info,
                          SECTION_COLUMNS.get(args.section, METRIC_COLUMNS),
                          gap_reference(args))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    for spec in args.configs:
        if not osp.isfile(spec.path):
            print(f'error: config {spec.path} not found', file=sys.stderr)
            return 1
    machine = machine_info(args.python)
    for spec in args.configs:
        if args.render_only or spec.name not in args.train_rows:
            continue
        for seed in args.seeds:
            print(f'[bench] {spec.name} seed {seed} ...', flush=True)
            r = run_one(spec, seed, args,
                        {c.name: c for c in args.configs})
            print(f'[bench] {spec.name} seed {seed}: top-1 '
                  f'{r.metrics["long_tail/top1"]:.2f}, '
                  f'{r.sec_per_epoch:.1f} s/epoch, '
                  f'{r.peak_rss_mb:.0f} MiB, {r.wall_s / 60:.1f} min',
                  flush=True)
    # read back after every run: a row trained again for a later row's
    # sake (its record held no checkpoint) shows its new run
    body = render(args, machine)
    write_report(args.out, args.section, body)
    print(body)
    print(f'\nwritten to {args.out} (section {args.section!r})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
