"""τ-normalisation with a tuned τ (Kang et al., "Decoupling Representation
and Classifier for Long-Tailed Recognition", ICLR 2020, Sec. 4.2): the
classifier rows become ``w_c / ||w_c||^τ`` and the bias is dropped, so the
logits are ``h · w_c / ||w_c||^τ`` for the classifier's input ``h``
(:func:`mmlt.models.heads.tau_norm.tau_normalize`, which the head applies
as ``model.head.tau_norm=τ``). It needs ``h`` and ``W``: a checkpoint, not
logits alone.
"""
from typing import Optional, Sequence

import numpy as np
import torch

from mmlt.models.heads.tau_norm import DEFAULT_TAUS, tau_normalize
from .grid_tuning import best_on_grid, selection_score

__all__ = ['tau_norm_logits', 'tune_tau_norm']


def tau_norm_logits(feats: np.ndarray, weight: np.ndarray,
                    tau: float) -> np.ndarray:
    """``h W̃ᵀ`` with ``W̃`` the τ-normalised rows of ``weight``."""
    w = tau_normalize(torch.as_tensor(np.asarray(weight, np.float64)), tau)
    return np.asarray(feats, np.float64) @ w.numpy().T


def tune_tau_norm(feats: np.ndarray, weight: np.ndarray, labels: np.ndarray,
                  taus: Sequence[float] = DEFAULT_TAUS,
                  target_prior: Optional[np.ndarray] = None) -> float:
    """The τ of ``taus`` (the authors' sweep 0..2 by default) whose
    τ-normalised predictions score best (smallest on a tie)."""
    num_classes = np.asarray(weight).shape[0]
    return best_on_grid(
        lambda tau: selection_score(tau_norm_logits(feats, weight, tau),
                                    labels, num_classes, target_prior),
        taus)
