"""What the converged benchmark runs say beyond their tables: whether
cross-entropy converged, and whether each method's gain has the sign its
paper reports.

Usage, from the repository root, after ``benchmarks/lt_benchmark.py`` has
run sections under the converged protocol:
``python -m benchmarks.lt_evidence [--work-dir work_dirs/benchmarks]``.

It reads the runs the harness keeps (``<work-dir>/converged/<row>/seed<N>/``:
``result.json`` and the runner's ``vis_data/scalars.json``; where the work dir
lacks a run, its record under ``benchmarks/results/converged``) and writes two
sections of docs/benchmarks.md (and, with ``--sections recipe-direction``
after the ``recipes`` section has run, or ``--sections group-lift`` after the
group-lift sections have, a third):

- ``convergence``: the cross-entropy curves (training loss per epoch and
  balanced accuracy on the held-out validation split, every seed) as
  ``docs/figures/ce_convergence.png``, and the protocol's convergence
  figures: the change of the least-squares line over the last fifth of
  training for the training loss and for validation balanced accuracy;
- ``paper-signs``: per row, the gain over cross-entropy its paper reports
  (:mod:`benchmarks.paper_signs`), the gain measured here (test balanced
  accuracy, mean over seeds) and whether the difference exceeds the noise
  (|Δ| > 2 × the pooled std of the two rows);
- ``recipe-direction``: the recipes' change from V1 to V4 (top-1, macro-F1,
  the smallest class's F1) against the reference project's, and each
  recipe ablation of the ``recipes`` section against the recipe it changes
  (what explains a version's gain or loss), and the group plans' group-1
  lift over V1 with what it costs group 0;
- ``group-lift``: each group plan against cross-entropy on the same
  group-lift data (``--sections group-lift``);
- ``focal-tail``: the sigmoid focal loss taken apart
  (:mod:`benchmarks.focal_decomposition`, ``--sections focal-tail``);
- ``ib-switch``: the influence-balanced loss with and without its
  learning-rate drop (:mod:`benchmarks.ib_lr_drop`, ``--sections
  ib-switch``);
- ``mixup-bias``: why input mixup loses to cross-entropy, its classifier's
  shift to the head classes against what is left without it
  (:mod:`benchmarks.mixup_bias`, ``--sections mixup-bias``).
"""
import argparse
import csv
import glob
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from benchmarks.common import ROOT, git_provenance, write_report
from benchmarks.lt_archive import DEFAULT_RECORDS_DIR, dumped_config
from benchmarks.lt_logs import (RESULT_FILE, find_scalars, mean_std,
                                read_json_lines, run_stamp_of)
from benchmarks.lt_protocol import section_plan
from benchmarks.paper_signs import (difference, exceeds_noise, losses_line,
                                   noise_verdict, render_sign_table,
                                   sign_rows)

DEFAULT_WORK_DIR = 'work_dirs/benchmarks'
LONG_TAIL_SECTIONS = ('lt-losses', 'lt-samplers', 'lt-heads-two-stage',
                      'lt-bag-of-tricks')
FIGURE = 'docs/figures/ce_convergence.png'
BALANCED = 'long_tail/balanced_accuracy'
# balanced accuracy and the three shot bins (metric key, label)
SHOT_FIGURES = ((BALANCED, 'balanced'), ('long_tail/many_shot', 'many'),
                ('long_tail/medium_shot', 'medium'),
                ('long_tail/few_shot', 'few'))


# ------------------------------------------------------------- the runs
def read_results(run_root: str,
                 records_root: Optional[str] = None
                 ) -> Dict[str, Dict[int, dict]]:
    """``{row: {seed: result.json}}`` of every finished run (the run's
    folder, ``<run_root>/<row>/seed<N>``, under the key ``run_dir``), and of
    every run kept only as a record under ``records_root`` (the same layout,
    :mod:`benchmarks.lt_archive`); a run in both is read from ``run_root``."""
    out: Dict[str, Dict[int, dict]] = {}
    paths = [p for root in (records_root, run_root) if root
             for p in sorted(glob.glob(osp.join(root, '*', 'seed*',
                                                RESULT_FILE)))]
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        data['run_dir'] = osp.dirname(path)
        out.setdefault(osp.basename(osp.dirname(osp.dirname(path))),
                       {})[int(data['seed'])] = data
    stale = outdated_starts(out)
    if stale:
        raise ValueError(
            'runs started from a run that has since been replaced (render '
            'their sections with --reuse first, which runs them again): ' +
            '; '.join(stale))
    return out


def outdated_starts(results: Dict[str, Dict[int, dict]]) -> List[str]:
    """The runs in ``results`` whose ``starts_from`` (the runs of earlier
    rows they read, see :func:`benchmarks.lt_runs.starts_from`) names
    another run than the one ``results`` holds for that row and seed, one
    line each; a result without the field is taken as it is."""
    stale = []
    for row, seeds in sorted(results.items()):
        for seed, data in sorted(seeds.items()):
            started = (data.get('extra') or {}).get('starts_from') or {}
            for name, stamp in sorted(started.items()):
                kept = results.get(name, {}).get(seed)
                now = run_stamp_of(kept['run_dir']) if kept else None
                if now is not None and now != stamp:
                    stale.append(f"{row} seed {seed} started from {name}'s "
                                 f'run {stamp}, its kept run is {now}')
    return stale


def epoch_curves(records: Sequence[dict],
                 metric: str = BALANCED) -> Tuple[Dict[int, float],
                                                  Dict[int, float]]:
    """Mean logged training loss per epoch and the validation ``metric``
    (balanced accuracy) per validated epoch, from mmengine's
    ``scalars.json`` lines.

    Training lines carry ``epoch`` and ``loss``; validation lines carry
    ``step`` (the epoch) and the metric.
    """
    losses: Dict[int, List[float]] = {}
    val: Dict[int, float] = {}
    for r in records:
        if 'loss' in r and 'epoch' in r:
            losses.setdefault(int(r['epoch']), []).append(float(r['loss']))
        elif metric in r:
            val[int(r['step'])] = float(r[metric])
    return {e: sum(v) / len(v) for e, v in sorted(losses.items())}, val


def change_over_last_fifth(curve: Dict[int, float],
                           epochs: int) -> Optional[float]:
    """The least-squares line's change from 80% to 100% of training, over
    the points in that span (None with fewer than two)."""
    start = 0.8 * epochs
    pts = [(e, v) for e, v in curve.items() if e >= start]
    if len(pts) < 2:
        return None
    n = len(pts)
    mx = sum(e for e, _ in pts) / n
    my = sum(v for _, v in pts) / n
    sxx = sum((e - mx)**2 for e, _ in pts)
    slope = sum((e - mx) * (v - my) for e, v in pts) / sxx
    return slope * (epochs - start)


# the protocol's convergence criterion: validation balanced accuracy moves
# less than this many points over the last fifth of training
FLAT_POINTS = 0.5


def is_flat(change: Optional[float]) -> bool:
    """A change over the last fifth meets :data:`FLAT_POINTS` (False
    without one)."""
    return change is not None and abs(change) < FLAT_POINTS


def val_change_over_last_fifth(curves: Dict[int, tuple]) -> Optional[float]:
    """:func:`change_over_last_fifth` of the mean over seeds of one row's
    validation curves (``curves``: its :func:`run_curves`), over its
    longest schedule."""
    epochs = max(e for e, _, _ in curves.values())
    return change_over_last_fifth(
        _mean_curve([val for _, _, val in curves.values()]), epochs)


# ------------------------------------------------------------- sections
def run_curves(results: Dict[str, Dict[int, dict]],
               row: str) -> Dict[int, tuple]:
    """``{seed: (epochs, loss per epoch, validation per epoch)}`` of the
    kept runs of ``row`` (none: empty), read from their scalars once."""
    return {
        seed: (r['epochs'],
               *epoch_curves(read_json_lines(find_scalars(r['run_dir']))))
        for seed, r in sorted(results.get(row, {}).items())
    }


def control_lines(results: Dict[str, Dict[int, dict]], row: str,
                  control: str, curves: Dict[int, tuple],
                  controls: Dict[int, tuple]) -> List[str]:
    """The longer-schedule control of ``row``: its test balanced accuracy
    against ``row``'s (mean ± std over seeds, Δ against 2 × the pooled std)
    and its own change over the last fifth; ``curves`` and ``controls`` are
    the two rows' :func:`run_curves`; without the control's runs, a line
    that says so (the section is then without its control, not silently)."""
    if not controls:
        return ['', f'Longer-schedule control (`{control}`): no kept runs '
                'to compare with; the protocol-100e section trains them (its '
                'command is in the table at the top of this page).']
    short = [r['metrics'][BALANCED] for _, r in sorted(results[row].items())]
    long_ = [r['metrics'][BALANCED]
             for _, r in sorted(results[control].items())]
    (m_s, s_s, n_s), (m_l, s_l, n_l) = mean_std(short), mean_std(long_)
    e_s = max(e for e, _, _ in curves.values())
    e_l = max(e for e, _, _ in controls.values())
    delta, pooled = difference(short, long_)
    beyond = exceeds_noise(delta, pooled)
    if beyond is None:
        verdict = 'one seed: no noise estimate'
    elif beyond:
        verdict = (f'beyond the noise (|Δ| > 2 × pooled std {pooled:.2f}): '
                   f'the {e_s}-epoch protocol stops short of what training '
                   'longer gives')
    else:
        verdict = (f'inside the noise (|Δ| ≤ 2 × pooled std {pooled:.2f}): '
                   f'training {e_l / e_s:.2g}x longer does not change the '
                   f'test result, so the {e_s}-epoch protocol is not stopped '
                   'short of what training longer gives')
    vals = [val for _, _, val in controls.values()]
    d_fifth = val_change_over_last_fifth(controls)
    met = is_flat(d_fifth)
    short_points = sorted({e for _, _, val in curves.values() for e in val
                           if e >= 0.8 * e_s})
    long_points = min(len([e for e in val if e >= 0.8 * e_l])
                      for val in vals)
    return [
        '',
        f'Longer-schedule control (`{control}`: the same config with '
        f'{e_l} epochs, the cosine decay stretched to them): test balanced '
        f'accuracy {m_l:.2f} ± {s_l:.2f} ({n_l} seeds) against {m_s:.2f} ± '
        f'{s_s:.2f} ({n_s} seeds) at {e_s} epochs, Δ {delta:+.2f}: '
        f'{verdict}. Validated at {long_points} epochs of its last fifth, '
        'its validation balanced accuracy moves '
        f'{fmt_change(d_fifth, 2)} points '
        f'there (mean over seeds; |change| < {FLAT_POINTS}: '
        f'{"met" if met else "not met"}), where the {e_s}-epoch figure '
        f'above rests on {len(short_points)} validations per seed (epochs '
        f'{", ".join(str(e) for e in short_points)}).',
    ]


def convergence_section(results: Dict[str, Dict[int, dict]],
                        row: str = 'ce', figure: str = FIGURE,
                        control: str = 'ce-100e') -> str:
    """The ``convergence`` section body from the finished runs
    (:func:`read_results`); draws ``figure``.

    Raises:
        FileNotFoundError: Without finished runs of ``row``.
    """
    if not results.get(row):
        raise FileNotFoundError(
            f'no finished {row!r} run among the rows {sorted(results)}')
    curves = run_curves(results, row)
    controls = run_curves(results, control)
    _plot(curves, osp.join(ROOT, figure), controls, control)
    lines = [
        '## Convergence of the cross-entropy baseline (converged protocol)',
        '',
        f'![training loss and validation balanced accuracy per epoch]'
        f'(figures/{osp.basename(figure)})',
        '',
        '| seed | epochs | training loss at the end | loss change over the '
        'last fifth | validation balanced accuracy at the end | its change '
        'over the last fifth (points) |',
        '|---:|---:|---:|---:|---:|---:|',
    ]
    for seed, (epochs, loss, val) in sorted(curves.items()):
        d_loss = change_over_last_fifth(loss, epochs)
        d_val = change_over_last_fifth(val, epochs)
        last_val = val[max(val)] if val else float('nan')
        lines.append(
            f'| {seed} | {epochs} | {loss[max(loss)]:.4f} | '
            f'{fmt_change(d_loss, 4)} | {last_val:.2f} | '
            f'{fmt_change(d_val, 2)} |')
    epochs = max(e for e, _, _ in curves.values())
    mean_loss = _mean_curve([c[1] for c in curves.values()])
    mean_val = _mean_curve([c[2] for c in curves.values()])
    d_mean = change_over_last_fifth(mean_val, epochs)
    lines.append(
        f'| mean | {epochs} | {mean_loss[max(mean_loss)]:.4f} | '
        f'{fmt_change(change_over_last_fifth(mean_loss, epochs), 4)} | '
        f'{mean_val[max(mean_val)]:.2f} | {fmt_change(d_mean, 2)} |')
    met = is_flat(d_mean)
    lines += [
        '',
        f'Criterion (|change| < {FLAT_POINTS} points on the mean over seeds): '
        f'{"met" if met else "**not met**"}.',
    ]
    lines += control_lines(results, row, control, curves, controls)
    lines += [
        '',
        'Change over the last fifth: the least-squares line through the '
        'points from 80% to 100% of training, its value at the end minus '
        'its value at 80% (the protocol asks for a flat loss and less than '
        f'{FLAT_POINTS} points of balanced accuracy). Validation: the '
        'held-out split (100 images per class), every 5 epochs; the loss: '
        'the mean of the logged values (every 10 iterations) of each epoch.',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence`',
    ]
    return '\n'.join(lines)


def _mean_curve(curves: Sequence[Dict[int, float]]) -> Dict[int, float]:
    """The mean over seeds at the epochs every seed has."""
    common = set.intersection(*(set(c) for c in curves))
    return {e: sum(c[e] for c in curves) / len(curves)
            for e in sorted(common)}


def fmt_change(value: Optional[float], digits: int) -> str:
    """A signed change with ``digits`` decimals, 'n/a' for None."""
    return 'n/a' if value is None else f'{value:+.{digits}f}'


def _plot(curves, path: str, controls=None, control: str = '') -> None:
    """Loss and validation curves per seed; a longer-schedule control's
    (``controls``, same layout) dashed in grey."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for seed, (epochs, loss, val) in sorted(curves.items()):
        ax1.plot(list(loss), list(loss.values()), label=f'seed {seed}')
        ax2.plot(list(val), list(val.values()), marker='o',
                 label=f'seed {seed}')
        for ax in (ax1, ax2):
            ax.axvspan(0.8 * epochs, epochs, color='0.9')
    for i, (seed, (epochs, loss, val)) in enumerate(sorted(
            (controls or {}).items())):
        label = f'{control} (all seeds)' if i == 0 else None
        ax1.plot(list(loss), list(loss.values()), '--', color='0.5',
                 linewidth=0.8, label=label)
        ax2.plot(list(val), list(val.values()), '--', color='0.5',
                 linewidth=0.8, label=label)
    ax1.set(xlabel='epoch', ylabel='training loss (mean per epoch)',
            yscale='log', title='cross-entropy: training loss')
    ax2.set(xlabel='epoch', ylabel='balanced accuracy (%)',
            title='held-out validation split')
    ax1.legend()
    ax2.legend(loc='lower right')
    fig.tight_layout()
    os.makedirs(osp.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def long_tail_rows() -> List[str]:
    """Rows of the planned long-tail sections (the protocol's data, which
    the sign table compares with cross-entropy; not the group-lift
    sections' or the controls'), in section order."""
    names: List[str] = []
    for section in LONG_TAIL_SECTIONS:
        names += [c.name for c in section_plan(section)[1]]
    return list(dict.fromkeys(names))


def signs_section(results: Dict[str, Dict[int, dict]]) -> str:
    """The ``paper-signs`` section body from the finished runs of the
    long-tail sections' rows."""
    per_row = {
        name: [r['metrics'][BALANCED]
               for _, r in sorted(results[name].items())]
        for name in long_tail_rows() if results.get(name)
    }
    rows = sign_rows(per_row)
    pending = [n for n in long_tail_rows() if not results.get(n)]
    return '\n'.join([
        '## Measured gains against the papers\' (converged protocol)',
        '',
        render_sign_table(rows),
        '',
        losses_line(rows),
        '',
        'Measured: test balanced accuracy of the row minus that of '
        'cross-entropy (both mean over seeds, Fashion-MNIST-LT n_max 1,000, '
        'ResNet-20); pooled std: sqrt((s_row² + s_ce²) / 2); beyond noise: '
        '|Δ| > 2 × pooled std. Paper: the top-1 error reduction its source '
        'reports on CIFAR-10-LT (IR 100, ResNet-32), in accuracy points; '
        'the sources are listed in `benchmarks/paper_signs.py`. Another '
        'data set and scale: a sign, not a size, is what should carry over.'
        + (f' Not run yet (no finished runs): {", ".join(pending)}.'
           if pending else ''),
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence`',
    ])


# the 44-class reference project's V1 and V4 (issue 14): top-1 accuracy,
# macro-F1 and the F1 of its smallest class, in percent (None: not reported)
REFERENCE_V1_V4 = {
    'top-1': (85.2, 91.5),
    'macro-F1': (81.0, None),
    "smallest class's F1": (45.0, 68.0),
}


def per_class_rows(run_dir: str) -> List[Dict[str, str]]:
    """The rows of the test's ``per_class.csv`` in ``run_dir``.

    Raises:
        FileNotFoundError: Without the file (the test saves it with
            ``save_per_class=True``).
    """
    path = osp.join(run_dir, 'per_class.csv')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no per-class results (the test '
                                'writes them with save_per_class=True)')
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def smallest_class_f1(run_dir: str) -> float:
    """F1 (percent) of the class with the fewest training images, from the
    test's ``per_class.csv`` (:func:`per_class_rows`; ties: the lowest
    class index)."""
    smallest = min(per_class_rows(run_dir),
                   key=lambda r: (int(r['train_count']),
                                  int(r['class_index'])))
    return float(smallest['f1'])


def training_sampler(run_dir: str) -> str:
    """The training sampler of a kept run, from the config the runner
    dumped into ``run_dir`` (type, and strategy where it has one)."""
    sampler = dumped_config(run_dir).train_dataloader.sampler
    return sampler.type + (f" ({sampler['strategy']})"
                           if 'strategy' in sampler else '')


def unrecognised_classes(run_dir: str) -> List[str]:
    """Names of the classes no test image of which was recognised (recall
    0), from the test's ``per_class.csv`` (:func:`per_class_rows`)."""
    return [r['class_name'] for r in per_class_rows(run_dir)
            if float(r['recall']) == 0]


def ablation_lines(results: Dict[str, Dict[int, dict]]) -> List[str]:
    """For each recipe ablation (:data:`benchmarks.lt_recipes.ABLATIONS`):
    the recipe it changes, the recipe whose sampler it takes and itself,
    with each run's training sampler, top-1, worst-class F1, the smallest
    class's F1 and the classes it never recognised, then the ablation's
    change against the recipe it changes and against the one whose sampler
    it takes (noise rule of the page). No lines for an ablation without
    runs."""
    from benchmarks.lt_recipes import ABLATIONS
    lines = []
    for name, changed, sampler_of in ABLATIONS:
        if not results.get(name) or not results.get(changed):
            continue
        rows = [sampler_of, changed, name]
        lines += [
            '',
            f'### {name}: {changed.upper()} with {sampler_of.upper()}\'s '
            'training sampler',
            '',
            '| row | training sampler | top-1 | worst-class F1 | smallest '
            "class's F1 | classes never recognised (seeds) |",
            '|---|---|---:|---:|---:|---|',
        ]
        values = {}
        for row in rows:
            runs = [r for _, r in sorted(results.get(row, {}).items())]
            if not runs:
                continue
            samplers = sorted({training_sampler(r['run_dir'])
                               for r in runs})
            values[row] = {
                key: [r['metrics'][f'long_tail/{key}'] for r in runs]
                for key in ('top1', 'worst_class_f1')}
            values[row]['smallest'] = [smallest_class_f1(r['run_dir'])
                                       for r in runs]
            missed: Dict[str, int] = {}
            for r in runs:
                for cls in unrecognised_classes(r['run_dir']):
                    missed[cls] = missed.get(cls, 0) + 1
            cells = [f'{m:.2f} ± {sd:.2f} ({n})' for m, sd, n in
                     (mean_std(values[row][k])
                      for k in ('top1', 'worst_class_f1', 'smallest'))]
            lines.append(
                f'| {row} | {", ".join(samplers)} | {" | ".join(cells)} | '
                + (', '.join(f'{c} ({k}/{len(runs)})'
                             for c, k in sorted(missed.items()))
                   or 'none') + ' |')
        lines.append('')
        for other in (changed, sampler_of):
            if other not in values:
                continue
            for key, label in (('top1', 'top-1'),
                               ('worst_class_f1', 'worst-class F1'),
                               ('smallest', "smallest class's F1")):
                delta, pooled = difference(values[other][key],
                                           values[name][key])
                verdict = noise_verdict(exceeds_noise(delta, pooled))
                lines.append(f'- {label}: {name} − {other} = {delta:+.2f} '
                             f'(pooled std {pooled:.2f}): {verdict}.')
    return lines


GROUP_PLANS = ('plan-a', 'plan-b', 'plan-c')
GROUP1 = 'long_tail/group1_accuracy'
GROUP0 = 'long_tail/group0_accuracy'
GROUP_FIGURES = ((GROUP1, 'group 1'), (GROUP0, 'group 0'))


def metric_values(results: Dict[str, Dict[int, dict]], row: str,
                  key: str) -> List[float]:
    """``key`` of every kept run of ``row``, in seed order."""
    return [r['metrics'][key] for _, r in sorted(results[row].items())]


def change_on(results: Dict[str, Dict[int, dict]], base: str, row: str,
              key: str) -> Tuple[float, float]:
    """``row``'s mean ``key`` minus ``base``'s, and their pooled std
    (:func:`benchmarks.paper_signs.difference`)."""
    return difference(metric_values(results, base, key),
                      metric_values(results, row, key))


def require_seeds(results: Dict[str, Dict[int, dict]], rows: Sequence[str],
                  section: str, seeds: int = 3) -> None:
    """Refuse to render a control section before its runs are there.

    Raises:
        FileNotFoundError: If any of ``rows`` has fewer than ``seeds``
            finished runs, naming those rows, what they have, and the
            benchmark ``section`` that trains them.
    """
    short = {r: len(results.get(r, {})) for r in rows
             if len(results.get(r, {})) < seeds}
    if short:
        raise FileNotFoundError(
            f'rows without {seeds} finished runs: '
            + ', '.join(f'{r} ({n})' for r, n in short.items())
            + f'; run `python -m benchmarks.lt_benchmark --section {section} '
            '...` (docs/benchmarks.md lists the command) first')


def shot_delta_lines(results: Dict[str, Dict[int, dict]], base: str,
                     rows: Sequence[str], title: str) -> List[str]:
    """A control section's heading ``title`` and its rows' test accuracy
    per shot bin against ``base`` (:func:`delta_table`)."""
    return [
        f'## {title}',
        '',
        'Test accuracy per shot bin, mean ± sample std (seeds), and the '
        'change on cross-entropy with the page\'s noise rule (|Δ| > 2 × '
        'pooled std):',
        '',
    ] + delta_table(results, base, rows, SHOT_FIGURES)


def delta_table(results: Dict[str, Dict[int, dict]], base: str,
                rows: Sequence[str],
                figures: Sequence[Tuple[str, str]]) -> List[str]:
    """Markdown table of ``rows`` (``base`` first): per figure (metric key,
    label) the mean ± sample std (seeds) and, but for ``base``, the change
    on ``base`` with the page's noise verdict."""
    head = ' | '.join(f'{label} | Δ {label}' for _, label in figures)
    lines = [f'| row | {head} |',
             '|---|' + '---:|---:|' * len(figures)]
    for row in [base] + [r for r in rows if r != base]:
        cells = []
        for key, _ in figures:
            m, sd, n = mean_std(metric_values(results, row, key))
            cells.append(f'{m:.2f} ± {sd:.2f} ({n})')
            if row == base:
                cells.append('')
                continue
            delta, pooled = change_on(results, base, row, key)
            cells.append(f'{delta:+.2f} ('
                         f'{noise_verdict(exceeds_noise(delta, pooled))})')
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    return lines


def group_plan_lines(results: Dict[str, Dict[int, dict]],
                     base: str = 'v1') -> List[str]:
    """The group plans (deltas on ``base`` for group 1) against ``base``:
    group-1 and group-0 test accuracy, each change with the page's noise
    verdict; plans without runs left out (no lines without any)."""
    plans = [p for p in GROUP_PLANS if results.get(p)]
    if not plans or not results.get(base):
        return []
    return [
        '',
        f'### The group plans against {base.upper()} (the recipe they '
        'change)',
        '',
    ] + delta_table(results, base, plans, GROUP_FIGURES)


GROUP_LIFT_FIGURES = GROUP_FIGURES + (
    (BALANCED, 'balanced'), ('long_tail/few_shot', 'few-shot'))


CURVE_EPOCHS = (10, 20, 30)


def val_curve_lines(results: Dict[str, Dict[int, dict]],
                    rows: Sequence[str], metric: str = GROUP1,
                    what: str = 'Group-1 accuracy') -> List[str]:
    """``metric`` (``what``) on the held-out validation split during
    training (mean over seeds) at :data:`CURVE_EPOCHS` and the last
    validated epoch, for the trained ``rows`` (a test-only row has no
    training to show): whether a row learns sooner or ends higher."""
    curves = {}
    for row in rows:
        runs = [r for _, r in sorted(results[row].items())]
        if not runs[0].get('epochs'):
            continue
        curves[row] = _mean_curve([
            epoch_curves(read_json_lines(find_scalars(r['run_dir'])),
                         metric)[1] for r in runs])
    if not curves:
        return []
    last = max(max(c) for c in curves.values())
    epochs = [e for e in CURVE_EPOCHS if e < last] + [last]
    lines = ['', f'{what} on the held-out validation split during '
             'training (mean over seeds):', '',
             '| row | ' + ' | '.join(f'epoch {e}' for e in epochs) + ' |',
             '|---|' + '---:|' * len(epochs)]
    for row, curve in curves.items():
        lines.append(f'| {row} | ' + ' | '.join(
            f'{curve[e]:.2f}' if e in curve else 'n/a' for e in epochs)
            + ' |')
    return lines


def group_lift_section(results: Dict[str, Dict[int, dict]],
                       seeds: int = 3) -> str:
    """The ``group-lift`` section: per case (rare, degraded group 1), every
    plan with ``seeds`` finished runs against the case's cross-entropy
    baseline (``ce-<case>``, also with ``seeds``): the change of group-1,
    group-0, balanced and few-shot accuracy, each with the page's noise
    verdict, and the plans whose group-1 lift is beyond the noise named
    with what they cost group 0; the plans still short of seeds are named.

    Raises:
        FileNotFoundError: Without finished runs of any case's baseline.
    """
    from benchmarks.lt_protocol import GROUP_LIFT_CASES
    lines = ['## What the group plans buy, and what they cost', '',
             'Each plan against cross-entropy on the same group-lift data '
             '(the `group-lift-rare` and `group-lift-degraded` sections): '
             'mean ± sample std (seeds) and the change on the baseline, '
             'with the page\'s noise rule (|Δ| > 2 × pooled std).']
    cases = 0
    for case in GROUP_LIFT_CASES:
        base = f'ce-{case}'
        if len(results.get(base, {})) < seeds:
            continue
        cases += 1
        plan = [spec.name for spec in section_plan(f'group-lift-{case}')[1]
                if spec.name != base]
        rows = [r for r in plan if len(results.get(r, {})) >= seeds]
        lines += ['', f'### {case.capitalize()} group 1', '']
        lines += delta_table(results, base, rows, GROUP_LIFT_FIGURES)
        lifted = []
        for row in rows:
            g1 = change_on(results, base, row, GROUP1)
            if exceeds_noise(*g1) and g1[0] > 0:
                g0 = change_on(results, base, row, GROUP0)
                lifted.append(f'{row} ({g1[0]:+.2f} on group 1; group 0 '
                              f'{g0[0]:+.2f}, '
                              f'{noise_verdict(exceeds_noise(*g0))})')
        lines += ['', 'Group 1 lifted beyond the noise by: ' +
                  ('; '.join(lifted) if lifted else 'no plan') + '.']
        lines += val_curve_lines(results, [base] + rows)
        short = [f'{r} ({len(results.get(r, {}))} of {seeds} seeds)'
                 for r in plan if r not in rows]
        if short:
            lines += ['', 'Not measured yet: ' + ', '.join(short) + '.']
    if not cases:
        raise FileNotFoundError(f'no group-lift baseline (ce-rare, '
                                f'ce-degraded) with {seeds} finished runs: '
                                'run the group-lift sections of '
                                'lt_benchmark first')
    lines += [
        '',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence --sections '
        'group-lift`',
    ]
    return '\n'.join(lines)


def recipe_direction_section(results: Dict[str, Dict[int, dict]],
                             first: str = 'v1', last: str = 'v4') -> str:
    """The ``recipe-direction`` section: the recipes' change from ``first``
    to ``last`` measured here against the reference project's, figure by
    figure, with a noise verdict (|Δ| > 2 × pooled std).

    Raises:
        FileNotFoundError: Without finished runs of both rows.
    """
    missing = [r for r in (first, last) if not results.get(r)]
    if missing:
        raise FileNotFoundError(f'no finished runs of {missing} (the '
                                'recipes section of lt_benchmark)')

    def values(row: str, figure: str) -> List[float]:
        runs = [r for _, r in sorted(results[row].items())]
        if figure == "smallest class's F1":
            return [smallest_class_f1(r['run_dir']) for r in runs]
        key = {'top-1': 'long_tail/top1',
               'macro-F1': 'long_tail/macro_f1'}[figure]
        return [r['metrics'][key] for r in runs]

    lines = [
        f'## The recipes from {first.upper()} to {last.upper()} against the '
        'reference project',
        '',
        f'| figure | reference project {first.upper()} → {last.upper()} | '
        f'measured {first.upper()} | measured {last.upper()} | Δ | pooled '
        'std | verdict |',
        '|---|---|---:|---:|---:|---:|---|',
    ]
    for figure, (ref_a, ref_b) in REFERENCE_V1_V4.items():
        a, b = values(first, figure), values(last, figure)
        (m_a, s_a, n_a), (m_b, s_b, n_b) = mean_std(a), mean_std(b)
        delta, pooled = difference(a, b)
        beyond = exceeds_noise(delta, pooled)
        ref = (f'{ref_a:g} → {ref_b:g} ({ref_b - ref_a:+.1f})'
               if ref_b is not None else f'{ref_a:g} → not reported')
        if not beyond:
            verdict = noise_verdict(beyond)
        elif ref_b is None:
            verdict = 'beyond noise (no reference direction)'
        elif (delta > 0) == (ref_b > ref_a):
            verdict = 'same direction as the reference project'
        else:
            verdict = '**opposite direction to the reference project**'
        lines.append(
            f'| {figure} | {ref} | {m_a:.2f} ± {s_a:.2f} ({n_a}) | '
            f'{m_b:.2f} ± {s_b:.2f} ({n_b}) | {delta:+.2f} | {pooled:.2f} | '
            f'{verdict} |')
    lines += ablation_lines(results)
    lines += group_plan_lines(results, first)
    lines += [
        '',
        'Measured: the `recipes` section\'s runs (test set of the degraded '
        'group-lift data, percent, mean ± sample std (seeds)); smallest '
        "class's F1: the F1 of the class with the fewest training images "
        '(per_class.csv of each test). The reference project changed its '
        'backbone as well (EfficientNet-B0 → ImageNet-22k ConvNeXt-Base); '
        'here every recipe trains the same ResNet-20 from scratch, so the '
        'measured change is that of the training recipe alone.',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence --sections '
        'recipe-direction`',
    ]
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convergence and paper-sign sections of '
        'docs/benchmarks.md from the converged benchmark runs')
    parser.add_argument('--work-dir', default=DEFAULT_WORK_DIR)
    parser.add_argument('--records-dir', default=DEFAULT_RECORDS_DIR,
                        help='runs kept in the repository (read where the '
                        'work dir lacks them)')
    parser.add_argument('--out', default='docs/benchmarks.md')
    parser.add_argument('--sections', nargs='+',
                        choices=('convergence', 'paper-signs',
                                 'recipe-direction', 'group-lift',
                                 'focal-tail', 'ib-switch', 'mixup-bias'),
                        default=['convergence', 'paper-signs'])
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    results = read_results(osp.join(args.work_dir, 'converged'),
                           osp.join(args.records_dir, 'converged'))
    if 'convergence' in args.sections:
        write_report(args.out, 'convergence', convergence_section(results))
        print(f'written: section convergence, {FIGURE}')
    if 'paper-signs' in args.sections:
        write_report(args.out, 'paper-signs', signs_section(results))
        print('written: section paper-signs')
    if 'recipe-direction' in args.sections:
        write_report(args.out, 'recipe-direction',
                     recipe_direction_section(results))
        print('written: section recipe-direction')
    if 'group-lift' in args.sections:
        write_report(args.out, 'group-lift', group_lift_section(results))
        print('written: section group-lift')
    if 'focal-tail' in args.sections:
        # imported here: the section is built from this module's tables
        from benchmarks.focal_decomposition import focal_section
        write_report(args.out, 'focal-tail', focal_section(results))
        print('written: section focal-tail')
    if 'ib-switch' in args.sections:
        from benchmarks.ib_lr_drop import ib_section
        write_report(args.out, 'ib-switch', ib_section(results))
        print('written: section ib-switch')
    if 'mixup-bias' in args.sections:
        from benchmarks.mixup_bias import mixup_section
        write_report(args.out, 'mixup-bias', mixup_section(results))
        print('written: section mixup-bias')
    return 0


if __name__ == '__main__':
    sys.exit(main())
