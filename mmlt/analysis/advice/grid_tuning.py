"""Pick one parameter on a grid by a metric of the argmax predictions.

The metric is balanced accuracy (mean recall over the classes with images,
as :class:`~mmlt.evaluation.LongTailMetric` computes it), or, for a known
deployment mix ``q``, the top-1 accuracy at that mix,
``sum_c q_c recall_c`` (:func:`mmlt.evaluation.metric_changes.row_metrics`).
On a tie the smallest parameter wins: the model changed least.
"""
from typing import Callable, Optional, Sequence

import numpy as np

from mmlt.evaluation.metric_changes import row_metrics

__all__ = ['SELECTION_METRICS', 'selection_score', 'best_on_grid']

SELECTION_METRICS = ('balanced_accuracy', 'target_top1')


def selection_score(logits: np.ndarray, labels: np.ndarray,
                    num_classes: int,
                    target_prior: Optional[np.ndarray] = None) -> float:
    """Balanced accuracy of ``argmax logits`` (fraction), or with
    ``target_prior`` the top-1 accuracy at that class mix."""
    preds = np.asarray(logits).argmax(1)
    metrics = row_metrics(np.asarray(labels)[None], preds[None], num_classes,
                          target_prior=target_prior)
    key = 'balanced_accuracy' if target_prior is None else 'target_top1'
    return float(metrics[key][0])


def best_on_grid(score: Callable[[float], float],
                 grid: Sequence[float]) -> float:
    """The grid value with the highest ``score``; the smallest on a tie
    (NaN scores lose)."""
    grid = sorted(float(g) for g in grid)
    if not grid:
        raise ValueError('the grid is empty')
    scores = np.array([score(g) for g in grid], dtype=np.float64)
    scores = np.where(np.isnan(scores), -np.inf, scores)
    return grid[int(np.argmax(scores))]
