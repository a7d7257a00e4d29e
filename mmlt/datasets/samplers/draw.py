"""Pure functions that draw one epoch's global index plan.

Every rank calls them with the same (seed, epoch) and gets the same plan.
Two paths:

* cells (class × group): when a sample's probability depends only on its
  class and group, the draw picks a cell by inverse CDF over the few cells,
  then a uniform member of it, in O(N) with a small random-access gather;
* general per-sample weights: ``torch.multinomial`` with a seeded
  generator.
"""
from typing import Tuple

import numpy as np
import torch

__all__ = ['CellIndex', 'build_cell_index', 'draw_from_cells',
           'draw_from_weights', 'epoch_seed']


def epoch_seed(seed: int, epoch: int) -> int:
    """The generator seed of one epoch (as mmengine's DefaultSampler)."""
    return int(seed) + int(epoch)


class CellIndex:
    """Samples grouped by cell: ``order[starts[j]:starts[j] + sizes[j]]``
    are the indices of cell j."""

    def __init__(self, order: np.ndarray, starts: np.ndarray,
                 sizes: np.ndarray) -> None:
        self.order = order
        self.starts = starts
        self.sizes = sizes


def build_cell_index(cell_of_sample: np.ndarray, num_cells: int
                     ) -> CellIndex:
    """Group sample indices by cell id (done once, not per epoch)."""
    order = np.argsort(cell_of_sample, kind='stable')
    sizes = np.bincount(cell_of_sample, minlength=num_cells)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return CellIndex(order, starts, sizes)


def draw_from_cells(cells: CellIndex, cell_probs: np.ndarray,
                    num_draws: int, seed: int) -> np.ndarray:
    """Draw ``num_draws`` indices with replacement: a cell by its
    probability, then a uniform member of it."""
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(cell_probs)
    cdf /= cdf[-1]
    cell = np.searchsorted(cdf, rng.random(num_draws), side='right')
    np.minimum(cell, len(cdf) - 1, out=cell)  # guard rounding at 1.0
    offset = (rng.random(num_draws) * cells.sizes[cell]).astype(np.int64)
    offset += cells.starts[cell]
    return cells.order[offset]


def draw_from_weights(weights: np.ndarray, num_draws: int, replacement: bool,
                      seed: int) -> np.ndarray:
    """Draw indices in proportion to per-sample ``weights``."""
    generator = torch.Generator().manual_seed(seed)
    drawn = torch.multinomial(
        torch.as_tensor(weights, dtype=torch.float64),
        num_draws,
        replacement=replacement,
        generator=generator)
    return drawn.numpy()


def pad_to_multiple(plan: np.ndarray, world_size: int) -> Tuple[np.ndarray,
                                                                int]:
    """Repeat the plan's head so its length divides by ``world_size``."""
    total = -(-len(plan) // world_size) * world_size
    if total == len(plan):
        return plan, total
    reps = -(-total // len(plan))
    return np.tile(plan, reps)[:total], total
