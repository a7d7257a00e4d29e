"""Latency and throughput of model functions, measured in-process and
interleaved, so that the ratios between them survive a change of the
machine's load during the measurement."""
import time
from typing import Callable, Dict, Sequence

import numpy as np

__all__ = ['measure_speeds']


def measure_speeds(runs: Dict[str, Callable[[np.ndarray], object]],
                   input_shape: Sequence[int],
                   repeats: int = 20,
                   batch: int = 64,
                   warmup: int = 2,
                   dtype=np.float32,
                   seed: int = 0) -> Dict[str, Dict[str, float]]:
    """Latency at batch 1 (ms) and throughput at ``batch`` (images/s) of
    each model function of ``runs``, by name.

    The models only (preprocessing excluded), on fixed random inputs, after
    ``warmup`` calls of each at both sizes: ``repeats`` rounds at batch 1
    and ``max(3, repeats // 4)`` at ``batch``, each round timing every
    model once in turn; each figure is the median of its model's rounds.
    Interleaving pairs the models' times: a burst of other work on the
    machine slows the models of one round alike instead of whichever model
    happened to be timed then.

    Raises:
        ValueError: For ``repeats`` < 1, ``warmup`` < 0 or no model.
    """
    if repeats < 1 or warmup < 0 or not runs:
        raise ValueError(f'repeats ({repeats}) must be >= 1, warmup '
                         f'({warmup}) >= 0 and runs ({list(runs)}) not empty')
    rng = np.random.default_rng(seed)
    one = rng.standard_normal((1, *input_shape)).astype(dtype)
    many = rng.standard_normal((batch, *input_shape)).astype(dtype)

    def rounds(x: np.ndarray, n: int) -> Dict[str, float]:
        for fn in runs.values():
            for _ in range(warmup):
                fn(x)
        times: Dict[str, list] = {name: [] for name in runs}
        for _ in range(n):
            for name, fn in runs.items():
                start = time.perf_counter()
                fn(x)
                times[name].append(time.perf_counter() - start)
        return {name: float(np.median(t)) for name, t in times.items()}

    latency = rounds(one, repeats)
    per_batch = rounds(many, max(3, repeats // 4))
    return {name: dict(latency_ms=1000 * latency[name],
                       throughput=batch / per_batch[name])
            for name in runs}
