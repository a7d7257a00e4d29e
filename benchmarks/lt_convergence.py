"""Whether a cross-entropy baseline converged: the body and figure of the
convergence sections (``convergence`` for the converged protocol,
:mod:`benchmarks.convergence`; ``finetune-convergence`` for the fine-tuning
protocol, :mod:`benchmarks.finetune_convergence`).

Draws the baseline's curves (training loss per epoch and balanced
accuracy on the held-out validation split, every seed) and gives the
convergence figures: the change of the least-squares line over the last
fifth of training for the training loss and for validation balanced
accuracy, and the longer-schedule control against the baseline's runs.
A helper of the section modules: it imports readers only.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from benchmarks.common import git_provenance
from benchmarks.lt_curves import (BALANCED, FLAT_POINTS,
                                  change_over_last_fifth, fmt_change,
                                  is_flat, mean_curve,
                                  val_change_over_last_fifth)
from benchmarks.lt_logs import mean_std
from benchmarks.lt_results import Results, run_curves
from benchmarks.noise import difference, exceeds_noise


def control_lines(results: Results, row: str, control: str,
                  curves: Dict[int, tuple],
                  controls: Dict[int, tuple],
                  control_section: str = 'protocol-100e') -> List[str]:
    """The longer-schedule control of ``row``: its test balanced accuracy
    against ``row``'s (mean ± std over seeds, Δ against 2 × the pooled std)
    and its own change over the last fifth; ``curves`` and ``controls`` are
    the two rows' :func:`benchmarks.lt_results.run_curves`; without the
    control's runs, a line that says so (the section is then without its
    control, not silently)."""
    if not controls:
        return ['', f'Longer-schedule control (`{control}`): no kept runs '
                f'to compare with; the {control_section} section trains '
                'them (its command is in the table at the top of this '
                'page).']
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


def render(results: Results, row: str, figure: str, control: str,
           protocol: str = 'converged',
           control_section: str = 'protocol-100e',
           command: str = 'python -m benchmarks.lt_evidence',
           extra_lines: Sequence[str] = ()) -> str:
    """The ``convergence`` section body from the finished runs
    (:func:`benchmarks.lt_results.read_results`) of ``protocol``, linking
    ``figure`` (:func:`draw` draws it); ``control`` is the longer-schedule
    row that ``control_section`` trains; ``command`` writes the section;
    ``extra_lines`` go after the explanation, before the provenance.

    Raises:
        FileNotFoundError: Without finished runs of ``row``.
    """
    if not results.get(row):
        raise FileNotFoundError(
            f'no finished {row!r} run among the rows {sorted(results)}')
    curves = run_curves(results, row)
    controls = run_curves(results, control)
    lines = [
        f'## Convergence of the cross-entropy baseline ({protocol} '
        'protocol)',
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
    mean_loss = mean_curve([c[1] for c in curves.values()])
    mean_val = mean_curve([c[2] for c in curves.values()])
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
    lines += control_lines(results, row, control, curves, controls,
                           control_section)
    every = sorted({b - a for _, _, val in curves.values()
                    for a, b in zip(sorted(val), sorted(val)[1:])})
    every_text = ('every epoch' if every == [1] else
                  f'every {every[0]} epochs' if len(every) == 1 else
                  'every ' + ' or '.join(map(str, every)) + ' epochs')
    lines += [
        '',
        'Change over the last fifth: the least-squares line through the '
        'points from 80% to 100% of training, its value at the end minus '
        'its value at 80% (the protocol asks for a flat loss and less than '
        f'{FLAT_POINTS} points of balanced accuracy). Validation: the '
        f'held-out split (100 images per class), {every_text}; the loss: '
        'the mean of the logged values (every 10 iterations) of each epoch.',
        *extra_lines,
        f'- Code: {git_provenance()}',
        f'- Command: `{command}`',
    ]
    return '\n'.join(lines)


def draw(results: Results, root: str, row: str, figure: str,
         control: str) -> None:
    """Draw the section's figure, ``figure`` under ``root``: ``row``'s
    curves per seed and the longer-schedule ``control``'s dashed."""
    _plot(run_curves(results, row), osp.join(root, figure),
          run_curves(results, control), control)


def _plot(curves: Dict[int, tuple], path: str,
          controls: Optional[Dict[int, tuple]] = None,
          control: str = '') -> None:
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
