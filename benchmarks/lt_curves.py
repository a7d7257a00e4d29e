"""Training curves of the kept runs and the protocol's convergence
criterion: the mean training loss and the validation metric per epoch (from
mmengine's ``scalars.json`` lines), the least-squares change over the last
fifth of training, and whether that change is flat.

Pure maths on dicts; imports nothing of ``benchmarks``.
"""
from typing import Dict, List, Optional, Sequence, Tuple

BALANCED = 'long_tail/balanced_accuracy'
# the protocol's convergence criterion: validation balanced accuracy moves
# less than this many points over the last fifth of training
FLAT_POINTS = 0.5


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


def is_flat(change: Optional[float]) -> bool:
    """A change over the last fifth meets :data:`FLAT_POINTS` (False
    without one)."""
    return change is not None and abs(change) < FLAT_POINTS


def mean_curve(curves: Sequence[Dict[int, float]]) -> Dict[int, float]:
    """The mean over seeds at the epochs every seed has."""
    common = set.intersection(*(set(c) for c in curves))
    return {e: sum(c[e] for c in curves) / len(curves)
            for e in sorted(common)}


def val_change_over_last_fifth(curves: Dict[int, tuple]) -> Optional[float]:
    """:func:`change_over_last_fifth` of the mean over seeds of one row's
    validation curves (``curves``: ``{seed: (epochs, loss, validation)}``,
    :func:`benchmarks.lt_results.run_curves`), over its longest schedule."""
    epochs = max(e for e, _, _ in curves.values())
    return change_over_last_fifth(
        mean_curve([val for _, _, val in curves.values()]), epochs)


def fmt_change(value: Optional[float], digits: int) -> str:
    """A signed change with ``digits`` decimals, 'n/a' for None."""
    return 'n/a' if value is None else f'{value:+.{digits}f}'
