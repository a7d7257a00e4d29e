"""τ-normalisation of a linear classifier (Kang et al., ICLR 2020).

Kang et al., "Decoupling Representation and Classifier for Long-Tailed
Recognition", ICLR 2020, Sec. 4.2: after instance-balanced training the norm
of class ``c``'s weight vector ``w_c`` grows with the class's training
images. The τ-normalised classifier rescales every row,

    w̃_c = w_c / ||w_c||_2^τ,        logits z_c = w̃_c^T h   (no bias),

so ``τ = 1`` gives unit-norm rows (a cosine-like classifier up to ``|h|``),
``τ = 0`` keeps ``W`` and only drops the bias. τ is chosen on a validation
split; the authors' sweep (their ``tau_norm.py``) covers 0 to 2 in steps of
0.1 (:data:`DEFAULT_TAUS`).
"""
import math
from numbers import Real
from typing import Optional

import torch

__all__ = ['DEFAULT_TAUS', 'check_tau', 'tau_normalize', 'tau_norm_classifier']

# the authors' sweep: np.linspace(0, 2, 21)
DEFAULT_TAUS = tuple(round(0.1 * i, 1) for i in range(21))


def check_tau(tau: Optional[float],
              what: str = 'tau_norm',
              meaning: str = 'the exponent τ of w_c / ||w_c||^τ',
              allow_none: bool = True) -> Optional[float]:
    """``tau`` as a float (None stays None where ``allow_none``); a
    ValueError naming ``what`` and the value unless it is a finite real
    number >= 0 (a bool or a string is refused, not read as 1 or parsed).
    ``meaning`` says in the message what the τ is."""
    if tau is None and allow_none:
        return None
    if isinstance(tau, bool) or not isinstance(tau, Real) or \
            not math.isfinite(tau) or tau < 0:
        raise ValueError(f'{what}={tau!r} must be a finite real number >= 0 '
                         f'({meaning})')
    return float(tau)


def tau_normalize(weight: torch.Tensor, tau: float) -> torch.Tensor:
    """Rows of ``weight`` (``C x D``) divided by their L2 norm to the power
    ``tau``: ``w_c / ||w_c||^τ``.

    A zero row stays zero (it is divided by 1 instead of ``0^τ``).
    """
    if tau is None:
        raise ValueError('tau=None: give the exponent τ >= 0')
    tau = check_tau(tau, 'tau')
    if weight.dim() != 2:
        raise ValueError(f'weight must be a C x D matrix, got shape '
                         f'{tuple(weight.shape)}')
    norms = weight.norm(p=2, dim=1, keepdim=True)
    norms = torch.where(norms > 0, norms, torch.ones_like(norms))
    return weight / norms.pow(tau)


def tau_norm_classifier(head) -> torch.nn.Linear:
    """The plain linear classifier ``head.fc`` that τ-normalisation
    rescales; a ValueError saying why when the head has none (another
    classifier, learnable weight scaling, or a logit adjustment on top)."""
    fc = getattr(head, 'fc', None)
    if type(fc) is not torch.nn.Linear:
        raise ValueError(
            f'τ-normalisation needs a head with a plain linear classifier '
            f'`fc` (torch.nn.Linear), got {type(head).__name__}.fc = '
            f'{type(fc).__name__}')
    if getattr(head, 'lws', False):
        raise ValueError(
            'the head has learnable weight scaling (lws=True): τ-normalise '
            'the stage-1 checkpoint instead (its classifier is the one '
            'τ rescales)')
    if getattr(head, 'logit_adjust_tau', 0):
        raise ValueError(
            f'the head also has logit_adjust_tau={head.logit_adjust_tau}: '
            'search τ with it off (--cfg-options '
            'model.head.logit_adjust_tau=0)')
    return fc
