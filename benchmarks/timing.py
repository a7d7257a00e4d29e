"""Paired timing of the speed sections (``loss-speed``, ``overhead``): each
call of a step timed right after a call of the baseline, so load from other
processes on a shared machine affects both sides of a ratio alike.

Imports nothing of ``benchmarks``.
"""
import statistics
import time
from typing import Callable, Dict, List, Tuple


def _time(step: Callable[[], None]) -> float:
    """Seconds one call of ``step`` takes."""
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def paired(steps: Dict[str, Callable[[], None]], rounds: int, iters: int,
           warmup: int = 3) -> Dict[str, Tuple[float, float]]:
    """{name: (median ms of a call, median ratio to the first step)}.

    Every call of a step is timed right after a call of the first one (the
    baseline); its ratio is the quotient of the two, so load from other
    processes affects both sides of a ratio alike.
    """
    names = list(steps)
    base_step = steps[names[0]]
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: Dict[str, List[float]] = {name: [] for name in names}
    ratios: Dict[str, List[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            for _ in range(iters):
                base = _time(base_step)
                took = base if name == names[0] else _time(steps[name])
                times[name].append(took)
                ratios[name].append(took / base)
    return {
        name: (statistics.median(times[name]) * 1e3,
               statistics.median(ratios[name]))
        for name in names
    }


def median_ms(step: Callable[[], None], reps: int) -> float:
    """Median milliseconds of ``reps`` calls of ``step``, after three
    warm-up calls."""
    for _ in range(3):
        step()
    return statistics.median(_time(step) for _ in range(reps)) * 1e3
