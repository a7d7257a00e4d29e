"""Rendering of ``benchmarks/lt_benchmark.py``: the table, the shot
bins and the header lines (data, schedule, rows, command) of a section."""
import argparse
import math
import os.path as osp
import shlex
from typing import Dict, Optional, Sequence, Tuple

from benchmarks.common import ROOT
from benchmarks.lt_gap import (BALANCED, GAP_TITLE, GapReference, gap_cell,
                               gap_note)
from benchmarks.lt_logs import (BIN_KEYS, METRIC_COLUMNS, RunResult,
                                format_mean_std, group_by_name)
from benchmarks.lt_protocol import Protocol
from benchmarks.lt_rows import ConfigSpec


# -------------------------------------------------------------- rendering
def render_table(results: Sequence[RunResult],
                 columns: Sequence[Tuple[str, str]] = METRIC_COLUMNS,
                 gap: Optional[GapReference] = None) -> str:
    """Markdown table, one row per config, mean ± std over its seeds;
    ``columns`` are (metric key, title) pairs (a planned section may have
    its own, see ``lt_protocol.SECTION_COLUMNS``). With ``gap`` (the
    protocol's oracle has kept runs), the column of the share of the
    CE→oracle gap closed follows the balanced accuracy
    (:mod:`benchmarks.lt_gap`)."""
    titles = []
    for key, title in columns:
        titles.append(title)
        if gap is not None and key == BALANCED:
            titles.append(GAP_TITLE)
    head = ['config', 'seeds'] + titles + [
        's/epoch', 'peak RSS (MiB)', 'run (min)'
    ]
    lines = [
        '| ' + ' | '.join(head) + ' |',
        '|' + '|'.join(['---'] + ['---:'] * (len(head) - 1)) + '|',
    ]
    for name, runs in group_by_name(results).items():
        cells = [name, str(len(runs))]
        for key, _ in columns:
            values = [r.metrics.get(key, math.nan) for r in runs]
            cells.append(format_mean_std(values))
            if gap is not None and key == BALANCED:
                cells.append(gap_cell(values, gap))
        cells.append(format_mean_std([r.sec_per_epoch for r in runs], 1))
        cells.append(format_mean_std([r.peak_rss_mb for r in runs], 0))
        cells.append(format_mean_std([r.wall_s / 60 for r in runs], 1))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def describe_bins(results: Sequence[RunResult]) -> str:
    """How many classes fall in each shot bin (from the test metrics)."""
    if not results:
        return ''
    m = results[0].metrics
    counts = [m.get(k, math.nan) for k in BIN_KEYS]
    if any(math.isnan(c) for c in counts):
        return ''
    many, medium, few = (int(c) for c in counts)
    return (f'Shot bins (OLTR: many > 100, few < 20 training images): '
            f'{many} many-shot, {medium} medium-shot, {few} few-shot '
            'classes; a bin without classes shows n/a.')


def render_section(results: Sequence[RunResult], info: Dict[str, str],
                   columns: Sequence[Tuple[str, str]] = METRIC_COLUMNS,
                   gap: Optional[GapReference] = None) -> str:
    """The body of a benchmark section (without its markers).

    ``info`` holds the texts of the header lines: ``title``, ``machine``,
    ``schedule``, ``data``, ``command`` and optionally ``provenance``,
    ``note`` and ``pending`` (rows without kept runs for every seed);
    ``columns`` and ``gap`` those of the table (:func:`render_table`).
    """
    parts = [f'## {info["title"]}', '']
    parts.append(render_table(results, columns, gap))
    if info.get('pending'):
        parts += ['', f'Not run yet (no kept runs for every seed): '
                  f'{info["pending"]}.']
    if info.get('rows'):
        parts += ['', f'Rows: {info["rows"]}.']
    parts.append('')
    parts.append('Accuracies and macro-F1 in percent on the balanced test '
                 'set, mean ± sample std over seeds (one value: no std). '
                 's/epoch: median logged iteration time × iterations per '
                 'epoch (training only). Peak RSS: largest resident set of '
                 'the training process (os.wait4). run: wall clock of train '
                 '+ test, start-up included.')
    if gap is not None:
        parts += ['', gap_note(gap)]
    bins = describe_bins(results)
    if bins:
        parts += ['', bins]
    parts += [
        '',
        f'- Data: {info["data"]}',
        f'- Schedule: {info["schedule"]}',
        f'- Machine: {info["machine"]}',
    ]
    if info.get('provenance'):
        parts.append(f'- Code: {info["provenance"]}')
    if info.get('note'):
        parts.append(f'- Note: {info["note"]}')
    parts += ['- Command:', '', '```bash', info['command'], '```']
    return '\n'.join(parts)



def describe_scheduler(sched: dict, epochs: int) -> str:
    """``'LinearLR (epochs 0-1, per iteration)'`` and the like.

    A scheduler without ``end`` runs to the end of training (mmengine).
    """
    per_iter = sched.get('convert_to_iter_based') or not sched.get(
        'by_epoch', True)
    span = f'epochs {sched.get("begin", 0)}-{sched.get("end", epochs)}'
    return (f'{sched["type"]} ({span}, '
            f'{"per iteration" if per_iter else "per epoch"})')


def describe_schedule(config: str, epochs: Optional[int],
                      protocol: Optional[Protocol] = None,
                      cfg_options: Sequence[str] = ()) -> str:
    """Epochs, batch size, optimizer and lr schedule as the runs use them.

    ``epochs`` None: the config's own schedule (the converged protocol).
    ``cfg_options``: the row's ``--row-cfg`` items (``key=value``), merged
    as tools/train.py merges ``--cfg-options`` (e.g. a longer-schedule
    control's ``train_cfg.max_epochs``).
    """
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(osp.join(ROOT, config))
    if cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(
            ['--cfg-options', *cfg_options]).cfg_options)
    opt = cfg.optim_wrapper.optimizer
    if epochs is None:
        epochs = cfg.train_cfg.max_epochs
        changes = ''.join(
            f', every {interval} from epoch {start}'
            for start, interval in cfg.train_cfg.get('dynamic_intervals')
            or ())
        when = (f'{epochs} epochs of the first row\'s config (each row its '
                f'own schedule), validation every '
                f'{cfg.train_cfg.get("val_interval", 1)} epochs{changes}, '
                'the final checkpoint tested')
    else:
        when = (f'{epochs} epochs for every row (validation and checkpoint '
                'only at the end)')
    if protocol is not None:
        when = f'protocol {protocol.name!r}: {when}'
    extras = ', '.join(f'{k}={opt[k]}' for k in ('lr', 'weight_decay')
                       if k in opt)
    clip = cfg.optim_wrapper.get('clip_grad')
    scheds = ' then '.join(
        describe_scheduler(s, epochs) for s in cfg.get('param_scheduler', []))
    return (f'{when}, '
            f'batch {cfg.train_dataloader.batch_size}, {opt.type} ({extras})'
            + (f', grad clip {clip.max_norm}' if clip else '') +
            (f', lr: {scheds}' if scheds else '') +
            f', {cfg.train_dataloader.num_workers} dataloader workers')


def describe_data(config: str) -> str:
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    ds = cfg.train_dataloader.dataset
    inner = ds.get('dataset', {})
    n_max = ds.get('max_count')
    val = cfg.val_dataloader.dataset
    if val.get('split') == 'held_out':
        validation = (f'validated on {val.held_out_per_class} images per '
                      'class held out of the training images the subset '
                      'does not use')
    else:
        validation = 'validated on the test set'
    return (f'{inner.get("type", ds.type)} long-tailed by {ds.type} '
            f'(imbalance ratio {ds.get("imbalance_ratio")}, profile '
            f'{ds.get("profile")!r}'
            + (f', n_max {n_max}' if n_max else '') +
            f', subset seed {ds.get("seed")}, the same subset for every run '
            f'seed); {validation}; tested on the balanced 10,000 test '
            'images')


def describe_row(spec: ConfigSpec) -> str:
    """``name: `path``` plus how a two-stage row is chained."""
    text = f'{spec.name}: `{spec.path}`'
    notes = []
    if spec.after:
        notes.append(f"starts from {spec.after}'s final checkpoint "
                     '(same seed)')
    if spec.prepare:
        notes.append(f'after `{spec.prepare}`')
    if spec.cfg_note:
        notes.append(spec.cfg_note)
    elif spec.cfg:
        notes.append('with ' + ', '.join(f'`{c}`' for c in spec.cfg))
    if spec.test_only:
        notes.append(f'not trained: tests `{spec.test_only}`')
    if spec.test_args:
        notes.append('tested with `' + ' '.join(spec.test_args) + '`')
    return text + (f' ({"; ".join(notes)})' if notes else '')


def command_line(args: argparse.Namespace) -> str:
    """The harness command with every option spelled out (a planned
    section: the section and the seeds name everything)."""
    if getattr(args, 'planned_title', None):
        # a fixed-schedule protocol (smoke) also needs its --epochs
        epochs = ['--epochs', str(args.epochs)] \
            if getattr(args, 'fixed_epochs', False) else []
        return shlex.join(
            ['python', '-m', 'benchmarks.lt_benchmark', '--protocol',
             args.protocol] + epochs + ['--section', args.section,
                                        '--seeds'] +
            [str(s) for s in args.seeds] + ['--reuse'])
    parts = ['python', '-m', 'benchmarks.lt_benchmark', '--configs']
    parts += [f'{c.name}={c.path}' for c in args.configs]
    parts += ['--seeds'] + [str(s) for s in args.seeds]
    if getattr(args, 'protocol', None):
        parts += ['--protocol', args.protocol]
    if args.epochs is not None:
        parts += ['--epochs', str(args.epochs)]
    parts += ['--section', args.section]
    if getattr(args, 'title', None):
        parts += ['--title', args.title]
    for c in args.configs:
        if c.after:
            parts += ['--after', f'{c.name}={c.after}']
        if c.prepare:
            parts += ['--prepare', f'{c.name}={c.prepare}']
        for opt in c.cfg:
            parts += ['--row-cfg', f'{c.name}={opt}']
        if c.test_only:
            parts += ['--test-only', f'{c.name}={c.test_only}']
    # a section made with --reuse is rewritten from its kept runs the same
    # way; without it, the copied command would train every row again over
    # the runs the other rows start from
    if getattr(args, 'reuse', False):
        parts.append('--reuse')
    return shlex.join(parts)


