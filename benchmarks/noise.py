"""The noise rule of every comparison in docs/benchmarks.md: a difference
of two rows' means counts when it exceeds twice their pooled standard
deviation over seeds.

Used by the section modules and the scripts alike; imports only
:mod:`benchmarks.lt_logs` (mean and sample std).
"""
import math
from typing import Optional, Sequence, Tuple

from benchmarks.lt_logs import mean_std


def difference(base: Sequence[float],
               other: Sequence[float]) -> Tuple[float, float]:
    """``other``'s mean minus ``base``'s, and the pooled standard deviation
    sqrt((s_base² + s_other²) / 2) (nan when a side has fewer than two
    values)."""
    base_mean, base_std, _ = mean_std(base)
    mean, std, _ = mean_std(other)
    return mean - base_mean, math.sqrt((std**2 + base_std**2) / 2)


def exceeds_noise(delta: float, pooled_std: float) -> Optional[bool]:
    """|Δ| > 2 × the pooled std (None without a std): the noise rule of
    every comparison in docs/benchmarks.md."""
    if math.isnan(pooled_std):
        return None
    return abs(delta) > 2 * pooled_std


def noise_verdict(beyond: Optional[bool]) -> str:
    """The page's words for :func:`exceeds_noise`'s answer."""
    return ('n/a (one seed)' if beyond is None else
            'beyond noise' if beyond else 'within noise')


# the words of :func:`gain_verdict`: a difference's direction class
HELPS, WITHIN, HURTS = 'helps', 'within noise', 'hurts'


def gain_verdict(delta: float, pooled_std: float) -> str:
    """A method's difference over its baseline in the page's words: 'helps'
    (beyond the noise, positive), 'hurts' (beyond it, negative), 'within
    noise', or :func:`noise_verdict`'s 'n/a (one seed)' without a std."""
    beyond = exceeds_noise(delta, pooled_std)
    if not beyond:
        return noise_verdict(beyond)
    return HELPS if delta > 0 else HURTS


def difference_cell(base: Sequence[float], other: Sequence[float],
                    digits: int = 2) -> str:
    """``other`` − ``base`` (:func:`difference`) with its
    :func:`gain_verdict`, as the tables print it: ``'+1.23 (helps)'``."""
    delta, pooled = difference(base, other)
    return f'{delta:+.{digits}f} ({gain_verdict(delta, pooled)})'
