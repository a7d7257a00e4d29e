"""A learned per-class logit bias: ``argmax_y z_y(x) + b_y`` with ``b``
fitted on held-out logits.

Balanced accuracy itself is a step function of ``b``; its smooth surrogate
is the class-balanced cross-entropy, the mean over classes of each class's
mean cross-entropy (the balanced error's proper loss; Menon et al., ICLR
2021, Sec. 4):

    L(b) = sum_c w_c / n_c · sum_{i: y_i = c} -log softmax(z_i + b)_{y_i}
           / sum_c w_c  +  λ/2 · ||b||²,

with ``w_c = 1`` for every class with images (balanced accuracy) or
``w_c = q_c`` for a deployment mix ``q`` (accuracy at that mix). It is
convex in ``b``; SciPy's L-BFGS-B minimises it with the analytic gradient
``sum_i ω_i (softmax(z_i + b) - e_{y_i}) + λ b``. The ridge ``λ`` fixes the
constant that ``L`` cannot see (adding ``t`` to every ``b_c`` changes
nothing) and keeps ``b`` finite on separable data. A class without images
among the fitting ones keeps ``b_c = 0`` (only competing with other
classes, its bias would be pushed down without limit). Logit adjustment is
the special case ``b = -τ log π``, so the learned bias can only match or
beat it on the fitting images; whether it does on new ones is what
cross-fitting measures.
"""
from typing import Optional

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

__all__ = ['RIDGE', 'balanced_cross_entropy', 'fit_class_bias']

#: λ of the ridge term.
RIDGE = 1e-4


def _image_weights(labels: np.ndarray, num_classes: int,
                   class_weight: Optional[np.ndarray]) -> np.ndarray:
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    weight = np.ones(num_classes) if class_weight is None else \
        np.asarray(class_weight, np.float64).reshape(-1)
    weight = np.where(counts > 0, weight, 0.0)
    if weight.sum() <= 0:
        raise ValueError('no class with images has a positive weight')
    per_class = np.zeros(num_classes)
    np.divide(weight, counts * weight.sum(), out=per_class, where=counts > 0)
    return per_class[labels]


def balanced_cross_entropy(bias: np.ndarray, logits: np.ndarray,
                           labels: np.ndarray,
                           class_weight: Optional[np.ndarray] = None,
                           ridge: float = RIDGE):
    """``(L(b), dL/db)`` of the module docstring's objective."""
    logits = np.asarray(logits, np.float64)
    labels = np.asarray(labels, np.int64)
    num_classes = logits.shape[1]
    omega = _image_weights(labels, num_classes, class_weight)
    shifted = logits + bias[None]
    nll = -log_softmax(shifted, axis=1)[np.arange(labels.size), labels]
    grad_rows = softmax(shifted, axis=1)
    grad_rows[np.arange(labels.size), labels] -= 1
    loss = float(omega @ nll) + 0.5 * ridge * float(bias @ bias)
    grad = omega @ grad_rows + ridge * bias
    return loss, grad


def fit_class_bias(logits: np.ndarray, labels: np.ndarray,
                   class_weight: Optional[np.ndarray] = None,
                   ridge: float = RIDGE) -> np.ndarray:
    """The bias ``b`` (``(C,)``) minimising the class-balanced
    cross-entropy of ``logits + b`` (module docstring); 0 for the classes
    without images in ``labels``.

    Raises:
        ValueError: If there are no images or the optimiser fails.
    """
    logits = np.asarray(logits, np.float64)
    labels = np.asarray(labels, np.int64).reshape(-1)
    if logits.ndim != 2 or labels.size != logits.shape[0] or not labels.size:
        raise ValueError(f'logits {logits.shape} and labels {labels.shape} '
                         'must be (N, C) and (N,) with N > 0')
    num_classes = logits.shape[1]
    free = np.bincount(labels, minlength=num_classes) > 0

    def objective(values: np.ndarray):
        bias = np.zeros(num_classes)
        bias[free] = values
        loss, grad = balanced_cross_entropy(bias, logits, labels,
                                            class_weight, ridge)
        return loss, grad[free]

    result = minimize(objective, np.zeros(int(free.sum())), jac=True,
                      method='L-BFGS-B')
    if not np.all(np.isfinite(result.x)):
        raise ValueError(f'the bias fit failed: {result.message}')
    bias = np.zeros(num_classes)
    bias[free] = result.x
    return bias
