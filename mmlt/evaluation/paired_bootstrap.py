"""Paired bootstrap intervals of a change, resampling images stratified by
class.

Two predictions of the same images (a model as it is and a changed one, or
fp32 PyTorch and its export) are compared on the *same* resampled images, so
what both get right or wrong cancels and the interval measures the change
alone (the paired design; Efron & Tibshirani, "An Introduction to the
Bootstrap", 1993, Sec. 6). Each replicate draws, within every class, as many
images as the class has, with replacement (stratified resampling; Davison &
Hinkley, "Bootstrap Methods and their Application", 1997, Sec. 3.7), and
computes the statistic's change on that draw; the interval is the
``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` percentiles of the
replicates (the percentile interval).

Why a seeded loop and not ``scipy.stats.bootstrap(..., paired=True)``:
SciPy resamples all observations together and has no strata. Stratified by
class, every replicate keeps each class's number of images, so a
class-average metric (balanced accuracy, macro-F1, a shot bin's accuracy)
keeps the denominators of the evaluated set and a rare class is never
missing from a replicate. A class with one image is drawn every time: it
adds no spread, so a set of one-image classes gives a narrow interval; a
statistic resting on fewer than :data:`MIN_IMAGES` images gets no interval
at all (:class:`Change` says so).

The intervals resample the scored images with everything else held fixed: a
parameter tuned on other images (cross-fitting) is not re-tuned per
replicate.
"""
import math
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'DEFAULT_RESAMPLES', 'CONFIDENCE', 'MIN_IMAGES', 'VERDICTS', 'Change',
    'stratified_resamples', 'paired_bootstrap', 'to_changes'
]

#: Replicates per interval: the percentile of a 95% interval is then read
#: from 50 replicates in each tail.
DEFAULT_RESAMPLES = 2000
CONFIDENCE = 0.95
#: Fewer images behind a statistic than this: no interval (the bootstrap
#: distribution of a handful of 0/1 outcomes is a few spikes, and its
#: percentiles would look like an interval without being one).
MIN_IMAGES = 10
#: The verdicts of a change: the interval lies above 0, contains 0, or lies
#: below 0 (for a statistic where higher is better).
VERDICTS = ('helps', 'within noise', 'hurts')


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value < low:
        raise ValueError(f'{name}={value!r} must be an integer >= {low}')
    return int(value)


def _check_confidence(confidence) -> float:
    if isinstance(confidence, bool) or not isinstance(
            confidence, (int, float)) or not 0 < confidence < 1:
        raise ValueError(f'confidence={confidence!r} must be a number in '
                         '(0, 1), e.g. 0.95')
    return float(confidence)


@dataclass(frozen=True)
class Change:
    """The change of one statistic, new minus reference, with its interval.

    Attributes:
        delta: The observed change (NaN where the statistic is undefined,
            e.g. a shot bin without classes).
        low, high: The interval's ends; None when there is none.
        num_images: The images the statistic rests on.
        reason: Why there is no interval ('' when there is one).
        higher_is_better: False for an error (e.g. a calibration error):
            the verdict then reads a drop as help.
    """
    delta: float
    low: Optional[float] = None
    high: Optional[float] = None
    num_images: int = 0
    reason: str = ''
    higher_is_better: bool = True

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None

    @property
    def verdict(self) -> str:
        """One of :data:`VERDICTS`, or ``'-'`` for an undefined statistic
        and ``'no interval'`` without one."""
        if math.isnan(self.delta):
            return '-'
        if not self.has_interval:
            return 'no interval'
        above, below = VERDICTS[0], VERDICTS[2]
        if not self.higher_is_better:
            above, below = below, above
        if self.low > 0:
            return above
        if self.high < 0:
            return below
        return VERDICTS[1]

    def format(self, digits: int = 2) -> str:
        """``+1.23 [+0.40, +2.10]``; the reason instead of an interval."""
        if math.isnan(self.delta):
            return '-'
        text = f'{self.delta:+.{digits}f}'
        if self.has_interval:
            return (f'{text} [{self.low:+.{digits}f}, '
                    f'{self.high:+.{digits}f}]')
        return f'{text} ({self.reason})' if self.reason else text


def stratified_resamples(strata: np.ndarray, num_resamples: int,
                         rng: np.random.Generator) -> np.ndarray:
    """Positions of ``num_resamples`` stratified bootstrap draws.

    Args:
        strata: ``(N,)`` the stratum (class) of every image.
        num_resamples: Replicates B.
        rng: The generator (seeded by the caller).

    Returns:
        ``(B, N)`` positions into the images: per row, every stratum's
        images drawn with replacement, as many as it has (the columns are
        grouped by stratum; a statistic of a draw does not depend on its
        order).
    """
    strata = np.asarray(strata).reshape(-1)
    out = np.empty((num_resamples, strata.size), dtype=np.int64)
    start = 0
    for value in np.unique(strata):
        members = np.flatnonzero(strata == value)
        n = members.size
        out[:, start:start + n] = members[rng.integers(
            0, n, size=(num_resamples, n))]
        start += n
    return out


def paired_bootstrap(statistic: Callable[[np.ndarray], np.ndarray],
                     strata: np.ndarray,
                     num_resamples: int = DEFAULT_RESAMPLES,
                     confidence: float = CONFIDENCE,
                     seed: int = 0,
                     max_cells: int = 4_000_000
                     ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed values and percentile intervals of a vector of statistics.

    Args:
        statistic: Maps a ``(b, N)`` array of image positions (one draw per
            row) to ``(b, K)`` values, e.g. K metrics' changes between two
            predictions of the drawn images (paired: both on the same
            positions). NaN values (a statistic undefined on a draw) are
            left out of the percentiles.
        strata: ``(N,)`` the class of every image.
        num_resamples: Replicates.
        confidence: Coverage of the interval.
        seed: Seed of the draws (the same seed, the same draws).
        max_cells: Positions drawn at once (replicates are computed in
            chunks of ``max_cells // N`` rows).

    Returns:
        ``(observed, low, high)``, each ``(K,)``: the statistic on the
        images as they are, and the interval's ends (NaN where every
        replicate was NaN).
    """
    num_resamples = _check_int(num_resamples, 'num_resamples', 1)
    confidence = _check_confidence(confidence)
    strata = np.asarray(strata).reshape(-1)
    num = strata.size
    if num == 0:
        raise ValueError('no images to resample')
    observed = np.asarray(statistic(np.arange(num)[None]),
                          dtype=np.float64)[0]
    rng = np.random.default_rng(seed)
    chunk = max(1, max_cells // num)
    values = []
    for begin in range(0, num_resamples, chunk):
        draws = stratified_resamples(strata, min(chunk,
                                                 num_resamples - begin), rng)
        values.append(np.asarray(statistic(draws), dtype=np.float64))
    values = np.concatenate(values).reshape(num_resamples, -1)
    tail = 100 * (1 - confidence) / 2
    low = np.full(values.shape[1], np.nan)
    high = np.full(values.shape[1], np.nan)
    defined = ~np.isnan(values).all(0)
    if defined.any():
        low[defined], high[defined] = np.nanpercentile(
            values[:, defined], [tail, 100 - tail], axis=0)
    return observed, low, high


def to_changes(names: Sequence[str], observed: np.ndarray, low: np.ndarray,
               high: np.ndarray, num_images: Mapping[str, int],
               min_images: int = MIN_IMAGES,
               scale: float = 1.0,
               higher_is_better: bool = True) -> Dict[str, Change]:
    """:class:`Change` per statistic from :func:`paired_bootstrap`'s
    arrays; a statistic on fewer than ``min_images`` images gets none.

    Args:
        names: The K statistics' names.
        observed, low, high: ``(K,)`` arrays.
        num_images: Images behind each statistic, by name.
        min_images: The fewest images an interval is given for.
        scale: Multiplies every value (100: fractions to points).
        higher_is_better: Of every statistic (:class:`Change`).
    """
    min_images = _check_int(min_images, 'min_images', 1)
    out = {}
    for k, name in enumerate(names):
        n = int(num_images[name])
        delta = float(observed[k]) * scale
        if math.isnan(delta):
            out[name] = Change(delta, num_images=n, reason='undefined',
                               higher_is_better=higher_is_better)
        elif n < min_images:
            out[name] = Change(
                delta, num_images=n,
                reason=f'too few images for an interval: {n} < {min_images}',
                higher_is_better=higher_is_better)
        elif math.isnan(low[k]) or math.isnan(high[k]):
            out[name] = Change(delta, num_images=n,
                               reason='undefined on every resample',
                               higher_is_better=higher_is_better)
        else:
            out[name] = Change(delta, float(low[k]) * scale,
                               float(high[k]) * scale, n,
                               higher_is_better=higher_is_better)
    return out
