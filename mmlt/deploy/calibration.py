"""Which images calibrate the int8 activation ranges.

Post-training static quantization fixes each activation's int8 range from
the values seen on a calibration set. Drawn as the training set comes
(``'instance'``), a long-tailed set is mostly head-class images, and the
ranges fit them; drawn class-balanced (the default), every class is
equally likely, so tail-class activations shape the ranges as much as the
head's. The draw is mmlt's :class:`~mmlt.datasets.samplers.RebalancedSampler`
(one epoch's plan without replacement), so the strategies mean exactly
what they mean for training.
"""
from typing import Iterator, Optional, Sequence

import numpy as np

__all__ = ['CALIB_STRATEGIES', 'calibration_indices', 'CalibrationReader']

CALIB_STRATEGIES = ('class_balanced', 'instance')


def calibration_indices(dataset,
                        num_samples: int,
                        strategy: str = 'class_balanced',
                        seed: int = 0) -> np.ndarray:
    """Indices of ``num_samples`` distinct calibration images.

    Args:
        dataset: The training dataset (labels are read through any wrapper,
            no image is loaded).
        num_samples: How many images; all of them if the set is smaller.
        strategy: ``'class_balanced'`` or ``'instance'``.
        seed: Seed of the draw.

    Raises:
        ValueError: For an unknown strategy or a non-positive count.
    """
    from mmlt.datasets.samplers import RebalancedSampler
    if strategy not in CALIB_STRATEGIES:
        raise ValueError(f'calibration strategy {strategy!r} is not one of '
                         f'{CALIB_STRATEGIES}')
    if isinstance(num_samples, bool) or not isinstance(
            num_samples, int) or num_samples < 1:
        raise ValueError(f'calibration samples must be a positive int, got '
                         f'{num_samples!r}')
    num_samples = min(num_samples, len(dataset))
    sampler = RebalancedSampler(
        dataset,
        strategy=strategy,
        replacement=False,
        num_samples=num_samples,
        seed=seed)
    return np.fromiter(iter(sampler), dtype=np.int64)[:num_samples]


class CalibrationReader:
    """ONNX Runtime's ``CalibrationDataReader`` over preprocessed batches.

    Args:
        batches: ``(N, C, H, W)`` float32 arrays.
        input_name: The graph's input name.
    """

    def __init__(self, batches: Sequence[np.ndarray],
                 input_name: str) -> None:
        self.batches = list(batches)
        self.input_name = input_name
        self._it: Optional[Iterator[np.ndarray]] = None
        self.rewind()

    def get_next(self):
        batch = next(self._it, None)
        return None if batch is None else {self.input_name: batch}

    def rewind(self) -> None:
        self._it = iter(self.batches)
