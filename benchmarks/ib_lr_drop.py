"""Why the influence-balanced loss needs the learning-rate drop its authors
train with.

The IB loss (Park et al., ICCV 2021) is cross-entropy divided by each
sample's influence and scaled by ``alpha`` (1000), so its gradients are
larger than cross-entropy's; the authors' code switches to it halfway
(epoch 100 of 200) and from then on trains at 0.01 of the learning rate
(``adjust_learning_rate`` of their ``cifar_train.py``). ``IBWarmStartHook``
does the same with ``lr_factor=0.01``. The ``ib-lr-drop`` section of
``benchmarks/lt_benchmark.py`` trains IB both ways under the converged
protocol: ``ib`` (the lt-losses row, with the drop) and ``ib-no-lr-drop``
(``lr_factor=1.0``: the schedule's rate carries on), against
cross-entropy.

:func:`render` reads their runs (work dir or records,
:func:`benchmarks.lt_results.read_results`) and builds the ``ib-switch``
section of docs/benchmarks.md: the test figures against cross-entropy, and
balanced accuracy on the held-out validation split at the last validation
before the switch and the first one after it, per seed, so the effect of
the switch itself is measured rather than only the end result. Usage, from
the repository root::

    python -m benchmarks.lt_evidence --sections ib-switch
"""
from typing import List, Tuple

from benchmarks.common import git_provenance
from benchmarks.lt_archive import dumped_config
from benchmarks.lt_curves import BALANCED, epoch_curves
from benchmarks.lt_logs import find_scalars, mean_std, read_json_lines
from benchmarks.lt_results import Results, require_seeds
from benchmarks.lt_tables import shot_delta_lines, val_curve_lines

BASE = 'ce'
ROWS = ('ib-no-lr-drop', 'ib')


def switch_epoch(run_dir: str, epochs: int) -> int:
    """First IB epoch (0-based) of the run in ``run_dir``: its dumped
    config's ``IBWarmStartHook`` ``start_epoch`` resolved against
    ``epochs``, as the hook resolves it.

    Raises:
        KeyError: If the config has no ``ib_warm_start`` hook.
    """
    from mmlt.engine.hooks.schedule_utils import resolve_epoch
    from mmlt.registry import HOOKS
    hooks = dumped_config(run_dir).get('default_hooks', {})
    if 'ib_warm_start' not in hooks:
        raise KeyError(f'{run_dir}: the dumped config has no ib_warm_start '
                       'hook (IBWarmStartHook), so no switch to measure')
    # built, so an unset start_epoch is the hook's own default
    hook = HOOKS.build(hooks['ib_warm_start'])
    return resolve_epoch(hook.start_epoch, epochs, 'start_epoch')


def around_switch(run: dict) -> Tuple[int, float, int, float]:
    """``(before, value, after, value)``: the validated epochs (1-based
    counts, as logged) closest before and after the switch to IB and the
    validation balanced accuracy there. Validation after ``k`` epochs has
    trained epochs 0..k-1, so the last one before the switch is at most
    the 0-based switch epoch and the first one after it is later.

    Raises:
        ValueError: Without a validation on each side of the switch.
    """
    start = switch_epoch(run['run_dir'], run['epochs'])
    val = epoch_curves(read_json_lines(find_scalars(run['run_dir'])),
                       BALANCED)[1]
    before = [e for e in val if e <= start]
    after = [e for e in val if e > start]
    if not before or not after:
        raise ValueError(f"{run['run_dir']}: no validation on each side of "
                         f'the switch at epoch {start} (validated at '
                         f'{sorted(val)})')
    b, a = max(before), min(after)
    return b, val[b], a, val[a]


def switch_lines(results: Results) -> List[str]:
    """Per IB row, validation balanced accuracy before and after the
    switch, per seed and as mean ± std of the change."""
    lines = ['| row | seed | validated before (epoch) | after (epoch) | '
             'change |', '|---|---:|---:|---:|---:|']
    summary = []
    for row in ROWS:
        changes = []
        for seed, run in sorted(results[row].items()):
            b, vb, a, va = around_switch(run)
            changes.append(va - vb)
            lines.append(f'| {row} | {seed} | {vb:.2f} ({b}) | {va:.2f} '
                         f'({a}) | {va - vb:+.2f} |')
        m, sd, n = mean_std(changes)
        summary.append(f'{row} {m:+.2f} ± {sd:.2f} ({n} seeds)')
    return lines + ['', 'Change of validation balanced accuracy across the '
                    'switch, mean ± sample std: ' + '; '.join(summary) + '.']


def render(results: Results, seeds: int = 3) -> str:
    """The ``ib-switch`` section body.

    Raises:
        FileNotFoundError: If a row lacks ``seeds`` finished runs, naming
            the rows and what they have.
    """
    require_seeds(results, (BASE,) + ROWS, 'ib-lr-drop', seeds)
    lines = shot_delta_lines(results, BASE, list(ROWS),
                             'Why IB needs its learning-rate drop')
    lines += ['', 'Balanced accuracy on the held-out validation split at '
              'the last validation before the switch from cross-entropy to '
              'IB and at the first one after it:', '']
    lines += switch_lines(results)
    lines += val_curve_lines(results, [BASE] + list(ROWS), BALANCED,
                             'Balanced accuracy')
    lines += [
        '',
        'Rows: `ce` is the cross-entropy baseline and `ib` the IB row of '
        'the `lt-losses` section (alpha 1000, class weights ∝ 1/n, '
        'cross-entropy for the first half, then IB at 0.01 of the '
        'schedule\'s learning rate, as the authors\' code); '
        '`ib-no-lr-drop` is the same config with '
        '`default_hooks.ib_warm_start.lr_factor=1.0` (section '
        '`ib-lr-drop`), which is how every IB config trained before the '
        'hook had the option: its runs were trained then, and the option\'s '
        'value 1.0 leaves the learning rate alone exactly as that code did.',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence --sections ib-switch`',
    ]
    return '\n'.join(lines)
