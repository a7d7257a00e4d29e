"""Cross-fitting: tune on some images, score on the others, and pool.

The images are split into ``K`` parts stratified by class (every class's
images spread as evenly over the parts as its count allows). For each part
``k``, a candidate is tuned on the other ``K - 1`` parts and applied to
part ``k``; the scored predictions of all parts are pooled, so every image
is scored by a candidate that was tuned without it (Chernozhukov et al.,
"Double/debiased machine learning", Econometrics Journal 2018, Sec. 3, use
the same sample splitting for the same reason: a parameter tuned on an
image overrates itself on it). The candidate a user deploys is tuned once
more on all images; the pooled score estimates how it does on new images.
"""
from typing import Any, Callable, List, Tuple

import numpy as np

__all__ = ['DEFAULT_PARTS', 'stratified_parts', 'cross_fit']

#: Parts of the cross-fitting split.
DEFAULT_PARTS = 5


def stratified_parts(labels: np.ndarray, num_parts: int = DEFAULT_PARTS,
                     seed: int = 0) -> np.ndarray:
    """The part (``0..K-1``) of every image, stratified by class.

    Each class's images are shuffled and dealt to the parts in turn; the
    next class starts dealing where the previous one stopped, so the parts
    differ in size by at most one image and a class with fewer images than
    parts lands in different parts than the class before it.

    Raises:
        ValueError: If ``num_parts`` is not an integer >= 2 or larger than
            the number of images.
    """
    labels = np.asarray(labels).reshape(-1)
    if isinstance(num_parts, bool) or not isinstance(
            num_parts, (int, np.integer)) or num_parts < 2:
        raise ValueError(f'num_parts={num_parts!r} must be an integer >= 2')
    if num_parts > labels.size:
        raise ValueError(f'num_parts={num_parts} is more than the '
                         f'{labels.size} images to split')
    rng = np.random.default_rng(seed)
    parts = np.empty(labels.size, dtype=np.int64)
    start = 0
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        parts[members] = (start + np.arange(members.size)) % num_parts
        start = (start + members.size) % num_parts
    return parts


def cross_fit(parts: np.ndarray,
              fit: Callable[[np.ndarray], Any],
              apply: Callable[[Any, np.ndarray], np.ndarray]
              ) -> Tuple[np.ndarray, List[Any]]:
    """Tune on the other parts, apply to each part, pool.

    Args:
        parts: ``(N,)`` the part of every image
            (:func:`stratified_parts`).
        fit: Positions of the tuning images -> the tuned parameters.
        apply: ``(parameters, positions of the scored images)`` -> their
            outputs, ``(n, ...)``.

    Returns:
        ``(pooled, parameters)``: the outputs of every image in image
        order, each from the part whose tuning left it out, and the
        parameters tuned for each part, in part order.
    """
    parts = np.asarray(parts).reshape(-1)
    pooled = None
    params = []
    for k in np.unique(parts):
        scored = np.flatnonzero(parts == k)
        tuned = fit(np.flatnonzero(parts != k))
        params.append(tuned)
        out = np.asarray(apply(tuned, scored))
        if pooled is None:
            pooled = np.empty((parts.size, ) + out.shape[1:], out.dtype)
        pooled[scored] = out
    return pooled, params
