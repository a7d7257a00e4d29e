"""The many/medium/few shot bins of a long-tailed training set.

The split follows Liu et al., "Large-Scale Long-Tailed Recognition in an
Open World" (OLTR), CVPR 2019: a class is *many-shot* with more than
``many_shot_thr`` training images, *few-shot* with fewer than
``few_shot_thr``, and *medium-shot* otherwise (both thresholds included in
medium). The definition is data about the training set, not a metric, so it
sits here, where the metrics (``mmlt.evaluation``), the plots
(``mmlt.visualization``) and the dataset statistics all read it from below.
"""
from typing import Dict, List, Sequence, Union

import numpy as np

__all__ = [
    'SHOT_NAMES', 'MANY_SHOT_THR', 'FEW_SHOT_THR', 'shot_masks', 'class_shots'
]

ArrayLike = Union[np.ndarray, Sequence[int], Sequence[float]]

#: The bins, from the most to the fewest training images.
SHOT_NAMES = ('many', 'medium', 'few')

#: OLTR's many-shot threshold: a class with more training images than this is
#: many-shot (the default of ``LongTailMetric`` and of the dataset statistics).
MANY_SHOT_THR = 100
#: OLTR's few-shot threshold: a class with fewer training images than this is
#: few-shot.
FEW_SHOT_THR = 20


def shot_masks(class_counts: ArrayLike, many_shot_thr: float,
               few_shot_thr: float) -> Dict[str, np.ndarray]:
    """Split classes into many-, medium- and few-shot by training count.

    Following OLTR (Liu et al., 2019): ``many = count > many_shot_thr``,
    ``few = count < few_shot_thr`` and ``medium`` is the rest, i.e.
    ``few_shot_thr <= count <= many_shot_thr``.

    Args:
        class_counts (ArrayLike): Training images per class, shape ``(C,)``.
        many_shot_thr (float): Counts above this are many-shot.
        few_shot_thr (float): Counts below this are few-shot. Must be
            smaller than ``many_shot_thr``.

    Returns:
        Dict[str, np.ndarray]: Boolean masks of shape ``(C,)`` under the
        keys ``'many'``, ``'medium'`` and ``'few'``; they partition the
        classes.

    Raises:
        ValueError: If ``few_shot_thr >= many_shot_thr``.
    """
    if few_shot_thr >= many_shot_thr:
        raise ValueError(f'few_shot_thr ({few_shot_thr}) must be smaller '
                         f'than many_shot_thr ({many_shot_thr}).')
    counts = np.asarray(class_counts)
    many = counts > many_shot_thr
    few = counts < few_shot_thr
    return {'many': many, 'medium': ~(many | few), 'few': few}


def class_shots(masks: Dict[str, np.ndarray]) -> List[str]:
    """The bin name of each class, in class order, from :func:`shot_masks`'
    masks (one list for a per-class table or a colour per bar)."""
    num = len(masks[SHOT_NAMES[0]])
    return [next(n for n in SHOT_NAMES if masks[n][c]) for c in range(num)]
