"""Expected calibration error, overall and per shot bin, and its paired
change between two sets of probabilities of the same images.

Guo et al., "On Calibration of Modern Neural Networks", ICML 2017, Eq. 3:
the confidences (the top class's probability) fall into ``M`` equal-width
bins ``((m-1)/M, m/M]``, and

    ECE = sum_m |B_m| / n * |acc(B_m) - conf(B_m)|,

with ``acc`` the fraction of the bin's images predicted right and ``conf``
their mean confidence (the authors use ``M = 15``). Per shot bin, the ECE is
that of the images whose *true* class is in the bin.
"""
from typing import Dict, Optional, Tuple

import numpy as np

from mmlt.structures.shot_bins import (FEW_SHOT_THR, MANY_SHOT_THR,
                                       SHOT_NAMES, shot_masks)
from .paired_bootstrap import (CONFIDENCE, DEFAULT_RESAMPLES, MIN_IMAGES,
                               Change, paired_bootstrap, to_changes)

__all__ = ['NUM_BINS', 'expected_calibration_error', 'calibration_changes']

#: Guo et al.'s number of confidence bins.
NUM_BINS = 15


def expected_calibration_error(confidence: np.ndarray,
                               correct: np.ndarray,
                               num_bins: int = NUM_BINS,
                               keep: Optional[np.ndarray] = None
                               ) -> np.ndarray:
    """ECE of every row (Guo et al., Eq. 3), as a fraction.

    Args:
        confidence: ``(b, n)`` (or ``(n,)``) top-class probabilities.
        correct: Same shape: whether the top class is the true one.
        num_bins: Equal-width bins ``M`` over (0, 1].
        keep: Same shape, bool: only these images count (e.g. a shot bin).

    Returns:
        ``(b,)`` (or a 0-d array); NaN for a row without images.
    """
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or \
            num_bins < 1:
        raise ValueError(f'num_bins={num_bins!r} must be a positive int')
    single = np.ndim(confidence) == 1
    conf = np.atleast_2d(np.asarray(confidence, dtype=np.float64))
    hit = np.atleast_2d(np.asarray(correct, dtype=np.float64))
    if conf.shape != hit.shape:
        raise ValueError(f'confidence {conf.shape} and correct {hit.shape} '
                         'must have one shape')
    use = np.ones(conf.shape, bool) if keep is None else np.atleast_2d(
        np.asarray(keep, bool))
    rows = conf.shape[0]
    bins = np.clip(np.ceil(conf * num_bins).astype(np.int64) - 1, 0,
                   num_bins - 1)
    flat = (bins + num_bins * np.arange(rows)[:, None])[use]
    size = rows * num_bins

    def per_bin(values: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=values[use],
                           minlength=size).reshape(rows, num_bins)

    count = np.bincount(flat, minlength=size).reshape(rows, num_bins)
    gap = np.abs(per_bin(hit) - per_bin(conf)).sum(1)
    total = count.sum(1)
    ece = np.full(rows, np.nan)
    np.divide(gap, total, out=ece, where=total > 0)
    return ece[0] if single else ece


def calibration_changes(labels: np.ndarray,
                        reference_probs: np.ndarray,
                        new_probs: np.ndarray,
                        class_counts: Optional[np.ndarray] = None,
                        many_shot_thr: float = MANY_SHOT_THR,
                        few_shot_thr: float = FEW_SHOT_THR,
                        num_bins: int = NUM_BINS,
                        num_resamples: int = DEFAULT_RESAMPLES,
                        confidence: float = CONFIDENCE,
                        min_images: int = MIN_IMAGES,
                        seed: int = 0
                        ) -> Tuple[Dict[str, float], Dict[str, float],
                                   Dict[str, Change]]:
    """ECE before and after (points), overall (``ece``) and per shot bin
    (``many_shot_ece``...), and the change with its paired interval (images
    resampled within each true class; a drop is help).

    Args:
        labels: ``(N,)`` true classes.
        reference_probs, new_probs: ``(N, C)`` class probabilities.
        class_counts: Training images per class (for the shot bins).

    Returns:
        ``(before, after, changes)``.
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    masks = None if class_counts is None else shot_masks(
        class_counts, many_shot_thr, few_shot_thr)
    subsets = {'ece': None}
    if masks is not None:
        subsets.update({f'{n}_shot_ece': np.asarray(masks[n], bool)
                        for n in SHOT_NAMES})
    sides = []
    for probs in (reference_probs, new_probs):
        probs = np.asarray(probs, dtype=np.float64)
        sides.append((probs.max(1), probs.argmax(1) == labels))

    def values(index: np.ndarray, side: int) -> np.ndarray:
        conf, hit = sides[side]
        return np.stack([
            expected_calibration_error(
                conf[index], hit[index], num_bins,
                None if mask is None else mask[labels[index]])
            for mask in subsets.values()
        ], axis=1)

    whole = np.arange(labels.size)[None]
    before = dict(zip(subsets, 100 * values(whole, 0)[0]))
    after = dict(zip(subsets, 100 * values(whole, 1)[0]))
    observed, low, high = paired_bootstrap(
        lambda index: values(index, 1) - values(index, 0), labels,
        num_resamples, confidence, seed)
    support = {name: labels.size if mask is None else int(mask[labels].sum())
               for name, mask in subsets.items()}
    changes = to_changes(list(subsets), observed, low, high, support,
                         min_images, scale=100.0, higher_is_better=False)
    return ({k: float(v) for k, v in before.items()},
            {k: float(v) for k, v in after.items()}, changes)
