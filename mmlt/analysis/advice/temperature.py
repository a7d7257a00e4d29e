"""Temperature scaling (Guo et al., "On Calibration of Modern Neural
Networks", ICML 2017, Sec. 4.2): the probabilities become
``softmax(z / T)`` with one ``T > 0`` that minimises the negative
log-likelihood of held-out images. Dividing every logit by the same ``T``
keeps each image's ranking of the classes, so accuracy (every metric of the
argmax) is unchanged; only the confidences, and with them the calibration
error, move.
"""
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

__all__ = ['LOG_T_BOUNDS', 'temperature_nll', 'fit_temperature']

#: log T is searched in these bounds (T from about 0.02 to 55).
LOG_T_BOUNDS = (-4.0, 4.0)


def temperature_nll(temperature: float, logits: np.ndarray,
                    labels: np.ndarray) -> float:
    """Mean ``-log softmax(z / T)_y``."""
    scaled = np.asarray(logits, np.float64) / temperature
    labels = np.asarray(labels, np.int64)
    return float(-log_softmax(scaled, axis=1)[np.arange(labels.size),
                                               labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The ``T`` minimising :func:`temperature_nll` (a bounded scalar
    search over ``log T``)."""
    labels = np.asarray(labels, np.int64).reshape(-1)
    if not labels.size:
        raise ValueError('no images to fit a temperature on')
    result = minimize_scalar(
        lambda log_t: temperature_nll(float(np.exp(log_t)), logits, labels),
        bounds=LOG_T_BOUNDS, method='bounded')
    return float(np.exp(result.x))
