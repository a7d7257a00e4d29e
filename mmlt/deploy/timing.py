"""Latency and throughput of a model function, measured in-process."""
import time
from typing import Callable, Dict, Sequence

import numpy as np

__all__ = ['median_seconds', 'measure_speed']


def median_seconds(fn: Callable[[], object], repeats: int,
                   warmup: int = 2) -> float:
    """Median wall time of ``repeats`` calls of ``fn`` after ``warmup``."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f'repeats ({repeats}) must be >= 1 and warmup '
                         f'({warmup}) >= 0')
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure_speed(run: Callable[[np.ndarray], object],
                  input_shape: Sequence[int],
                  repeats: int = 20,
                  batch: int = 64,
                  dtype=np.float32,
                  seed: int = 0) -> Dict[str, float]:
    """Latency at batch 1 (ms) and throughput at ``batch`` (images/s).

    The model only (preprocessing excluded), on fixed random inputs: the
    median of ``repeats`` runs at batch 1 and of ``max(3, repeats // 4)``
    at ``batch``.
    """
    rng = np.random.default_rng(seed)
    one = rng.standard_normal((1, *input_shape)).astype(dtype)
    many = rng.standard_normal((batch, *input_shape)).astype(dtype)
    latency = median_seconds(lambda: run(one), repeats)
    per_batch = median_seconds(lambda: run(many), max(3, repeats // 4))
    return dict(latency_ms=1000 * latency, throughput=batch / per_batch)
