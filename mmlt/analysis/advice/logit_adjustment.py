"""Post-hoc logit adjustment with a tuned τ (Menon et al., "Long-tail
learning via logit adjustment", ICLR 2021, Eq. 9):

    argmax_y  z_y(x) - τ · log π_y,

with ``π`` the training label distribution. τ = 1 is the Bayes correction
for balanced error when the softmax of ``z`` estimates ``p(y|x)`` under
``π`` (softmax cross-entropy); for other losses τ = 1 has no justification
(a sigmoid-focal model fell to 6% top-1 with it), so τ is tuned on held-out
images. The head applies the same adjustment as
``model.head.logit_adjust_tau=τ``.
"""
from typing import Optional, Sequence

import numpy as np

from mmlt.models.heads.tau_norm import DEFAULT_TAUS
from .grid_tuning import best_on_grid, selection_score

__all__ = ['LOGIT_ADJUST_TAUS', 'log_prior', 'logit_adjust',
           'tune_logit_adjust_tau']

#: The grid of τ: 0 (off) to 2 in steps of 0.1.
LOGIT_ADJUST_TAUS = DEFAULT_TAUS


def log_prior(class_counts: np.ndarray) -> np.ndarray:
    """``log π`` of the training counts; ValueError for a class with no
    training image (its log-prior is -inf: the adjustment is undefined)."""
    counts = np.asarray(class_counts, dtype=np.float64).reshape(-1)
    empty = np.flatnonzero(counts <= 0)
    if empty.size:
        raise ValueError(f'classes {empty.tolist()} have no training image: '
                         'the training prior has log 0 there')
    return np.log(counts / counts.sum())


def logit_adjust(logits: np.ndarray, log_pi: np.ndarray,
                 tau: float) -> np.ndarray:
    """``z - τ · log π`` row by row."""
    return np.asarray(logits, np.float64) - tau * np.asarray(log_pi)[None]


def tune_logit_adjust_tau(logits: np.ndarray, labels: np.ndarray,
                          log_pi: np.ndarray,
                          taus: Sequence[float] = LOGIT_ADJUST_TAUS,
                          target_prior: Optional[np.ndarray] = None
                          ) -> float:
    """The τ of ``taus`` whose adjusted predictions score best
    (:func:`~.grid_tuning.selection_score`; smallest τ on a tie)."""
    num_classes = np.asarray(logits).shape[1]
    return best_on_grid(
        lambda tau: selection_score(logit_adjust(logits, log_pi, tau),
                                    labels, num_classes, target_prior),
        taus)
