"""Why MMPretrain's sigmoid focal loss loses to cross-entropy on the
protocol: its two changes to cross-entropy taken apart.

The focal baseline (``FocalLoss``, gamma 2, alpha 0.25) differs from
cross-entropy in three ways: one-vs-all sigmoids instead of a softmax, the
weight alpha of the positive term (1 - alpha of the negative terms), and
the focusing term ``(1 - p_t)^gamma``. The ``focal-decomposition`` section
of ``benchmarks/lt_benchmark.py`` trains them one at a time under the
converged protocol (every sigmoid row is MMPretrain's ``FocalLoss`` with
the head's ``avg_factor``, so summed over the classes and divided by the
batch size, as Lin et al. normalise it):

==================  ==========  ========  =======
row                 output      alpha     gamma
==================  ==========  ========  =======
``ce``              softmax     --        0
``softmax-focal``   softmax     --        2
``sigmoid-ce``      sigmoid     0.5 (x2)  0
``focal-gamma0``    sigmoid     0.25      0
``focal``           sigmoid     0.25      2
==================  ==========  ========  =======

``sigmoid-ce`` is the plain sigmoid (binary) cross-entropy: alpha 0.5
with loss weight 2 weighs positive and negative terms by 1.

:func:`render` reads their runs (work dir or records,
:func:`benchmarks.lt_results.read_results`) and builds the ``focal-tail``
section of docs/benchmarks.md: each row against cross-entropy per shot
bin, the recall of the classes with the fewest training images, the effect
of each change with the other held fixed, and balanced accuracy on the
held-out validation split during training. Usage, from the repository
root::

    python -m benchmarks.lt_evidence --sections focal-tail
"""
from typing import Dict, List

from benchmarks.common import git_provenance
from benchmarks.lt_curves import BALANCED
from benchmarks.lt_logs import mean_std
from benchmarks.lt_results import (Results, change_on, class_recalls,
                                   require_seeds)
from benchmarks.lt_tables import shot_delta_lines, val_curve_lines
from benchmarks.noise import exceeds_noise, noise_verdict

BASE = 'ce'
ROWS = ('softmax-focal', 'sigmoid-ce', 'focal-gamma0', 'focal')
# (what changes, the row without it, the row with it)
EFFECTS = (
    ('sigmoid instead of softmax (gamma 0, no alpha)', 'ce', 'sigmoid-ce'),
    ('alpha 0.25 (sigmoid, gamma 0)', 'sigmoid-ce', 'focal-gamma0'),
    ('focusing, gamma 2 (softmax)', 'ce', 'softmax-focal'),
    ('focusing, gamma 2 (sigmoid, alpha 0.25)', 'focal-gamma0', 'focal'),
    ('sigmoid with alpha 0.25 instead of softmax (gamma 2)',
     'softmax-focal', 'focal'),
)


def smallest_classes_recall(results: Results, row: str,
                            k: int = 3) -> Dict[str, List[float]]:
    """Test recall (percent) of the ``k`` classes with the fewest training
    images, ``{class (training images): [recall per seed]}``, fewest
    first, from each run's ``per_class.csv``."""
    smallest = sorted(class_recalls(results, row),
                      key=lambda c: (c.train_count, c.index))[:k]
    return {f'{c.name} ({c.train_count})': list(c.recalls)
            for c in smallest}


def render(results: Results, seeds: int = 3) -> str:
    """The ``focal-tail`` section body.

    Raises:
        FileNotFoundError: If a row of the decomposition lacks ``seeds``
            finished runs, naming the rows and what they have.
    """
    require_seeds(results, (BASE,) + ROWS, 'focal-decomposition', seeds)
    rows = [BASE] + list(ROWS)
    lines = shot_delta_lines(
        results, BASE, list(ROWS),
        'Why the sigmoid focal loss loses to cross-entropy here')
    recalls = {row: smallest_classes_recall(results, row) for row in rows}
    classes = list(recalls[BASE])
    lines += ['', 'Test recall of the classes with the fewest training '
              'images (training images in brackets):', '',
              '| row | ' + ' | '.join(classes) + ' |',
              '|---|' + '---:|' * len(classes)]
    for row in rows:
        cells = []
        for cls in classes:
            m, sd, n = mean_std(recalls[row].get(cls, []))
            cells.append(f'{m:.1f} ± {sd:.1f}' if n else 'n/a')
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    lines += ['', 'Each change with the other held fixed (few-shot and '
              'balanced accuracy):', '']
    beyond = []
    for what, without, with_ in EFFECTS:
        parts = []
        for key, label in ((('long_tail/few_shot', 'few-shot')),
                           (BALANCED, 'balanced')):
            delta, pooled = change_on(results, without, with_, key)
            beyond_noise = exceeds_noise(delta, pooled)
            parts.append(f'{label} {delta:+.2f} ({noise_verdict(beyond_noise)})')
            if key == BALANCED and beyond_noise:
                beyond.append(f'{what} ({delta:+.2f})')
        lines.append(f'- {what} ({with_} − {without}): '
                     + ', '.join(parts) + '.')
    lines += ['', 'Changes that move balanced accuracy beyond the noise: '
              + ('; '.join(beyond) if beyond else 'none') + '.']
    lines += val_curve_lines(results, rows, BALANCED, 'Balanced accuracy')
    lines += [
        '',
        'Rows: `ce` and `focal` are the baselines of the `lt-losses` '
        'section (focal: MMPretrain\'s FocalLoss, sigmoid, alpha 0.25, '
        'gamma 2), `softmax-focal` its softmax focal row (gamma 2, no '
        'alpha); `sigmoid-ce` is FocalLoss with gamma 0, alpha 0.5 and loss '
        'weight 2 (the plain sigmoid cross-entropy), `focal-gamma0` '
        'FocalLoss with gamma 0 (alpha 0.25 kept); every sigmoid loss is '
        'summed over the classes and divided by the batch size (the '
        'head\'s avg_factor). All trained under the converged protocol '
        '(section `focal-decomposition`).',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.lt_evidence --sections focal-tail`',
    ]
    return '\n'.join(lines)
