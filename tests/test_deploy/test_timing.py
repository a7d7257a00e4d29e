"""mmlt.deploy.timing: interleaved speed measurement."""
import time

import numpy as np
import pytest

from mmlt.deploy.timing import measure_speeds


def test_models_are_timed_in_turn_and_ratios_follow_their_cost():
    calls = []

    def model(name, seconds_per_image):
        def run(x):
            calls.append((name, len(x)))
            time.sleep(seconds_per_image * len(x))
        return run

    # Sleeps of 20 and 10 ms per image (80 and 40 ms per batch of 4): a
    # wake-up late by up to ~10 ms on a loaded machine keeps the latencies
    # in order and the throughput ratio of 2 within the bounds below; the
    # whole test sleeps about 0.6 s.
    speeds = measure_speeds(
        {'slow': model('slow', 20e-3), 'fast': model('fast', 10e-3)},
        (3, 4, 4), repeats=4, batch=4, warmup=1)
    # warm-up of each at batch 1, then 4 rounds of both in turn; the same
    # at batch 4 (3 rounds: max(3, 4 // 4))
    assert calls[:2] == [('slow', 1), ('fast', 1)]
    assert calls[2:10] == [('slow', 1), ('fast', 1)] * 4
    assert calls[10:12] == [('slow', 4), ('fast', 4)]
    assert calls[12:] == [('slow', 4), ('fast', 4)] * 3
    ratio = speeds['fast']['throughput'] / speeds['slow']['throughput']
    assert 1.3 < ratio < 2.5
    assert speeds['slow']['latency_ms'] > speeds['fast']['latency_ms'] > 9
    # the inputs are the shape asked for
    seen = []
    measure_speeds({'m': lambda x: seen.append(x.shape)}, (1, 2, 2),
                   repeats=1, batch=5, warmup=0)
    assert seen == [(1, 1, 2, 2)] + [(5, 1, 2, 2)] * 3


@pytest.mark.parametrize('kw', [dict(repeats=0), dict(warmup=-1)])
def test_bad_counts_are_refused(kw):
    with pytest.raises(ValueError, match='must be >= 1'):
        measure_speeds({'m': np.asarray}, (1, ), **kw)
    with pytest.raises(ValueError, match='not empty'):
        measure_speeds({}, (1, ))
