"""The share of the gap between cross-entropy and the oracle that a row
closes: the column the long-tail tables of ``lt_benchmark`` gain once the
protocol's oracle row has kept runs.

The oracle of a protocol is its cross-entropy config trained on a balanced
draw of the same size (``configs/baselines/
resnet20_ce_1xb128_fashion-mnist-balanced248.py`` for the converged
protocol): what the same network, recipe and amount of data give without
the long tail. A row's share is

    (row's balanced accuracy − ce's) / (oracle's − ce's),

each the mean over its seeds: 0% is cross-entropy, 100% the oracle. A
reader: pure functions on figures, no file and no run.
"""
import math
from dataclasses import dataclass
from typing import Optional, Sequence

from benchmarks.lt_logs import mean_std

BALANCED = 'long_tail/balanced_accuracy'
GAP_TITLE = 'share of the CE→oracle gap closed'


@dataclass(frozen=True)
class GapReference:
    """The two ends of the gap under one protocol: the balanced accuracies
    of the kept runs of its cross-entropy row and of its oracle row, how
    many runs each needs (the section's seeds), and their configs (for the
    footnote)."""
    ce: Sequence[float]
    oracle: Sequence[float]
    seeds: int
    ce_config: str
    oracle_config: str

    @property
    def complete(self) -> bool:
        """Whether both ends have a kept run of every seed."""
        return len(self.ce) >= self.seeds and len(self.oracle) >= self.seeds


def gap_closed(row: Sequence[float], ce: Sequence[float],
               oracle: Sequence[float]) -> float:
    """``(mean(row) − mean(ce)) / (mean(oracle) − mean(ce))``; nan when a
    mean is missing or the oracle does not differ from cross-entropy."""
    (r, _, _), (c, _, _), (o, _, _) = (mean_std(row), mean_std(ce),
                                       mean_std(oracle))
    if math.isnan(r) or math.isnan(c) or math.isnan(o) or \
            abs(o - c) < 1e-9:
        return math.nan
    return (r - c) / (o - c)


def gap_cell(row: Sequence[float], ref: GapReference) -> str:
    """The table cell of a row with balanced accuracies ``row``: the share
    in percent, or ``n/a`` until both ends have a kept run of every seed
    (or when the share is undefined)."""
    if not ref.complete:
        return 'n/a'
    share = gap_closed(row, ref.ce, ref.oracle)
    return 'n/a' if math.isnan(share) else f'{100 * share:.0f}%'


def gap_note(ref: Optional[GapReference]) -> str:
    """The footnote that defines the column (empty without one)."""
    if ref is None:
        return ''
    return (f'{GAP_TITLE[0].upper()}{GAP_TITLE[1:]}: (row − ce) / (oracle − '
            'ce) in balanced accuracy, each the mean over its seeds, with '
            f'ce `{ref.ce_config}` and the oracle `{ref.oracle_config}` '
            '(the same network and recipe on a balanced draw of the same '
            "size, the protocol's held-out split and test set) of this "
            'protocol; 0% is cross-entropy, 100% the oracle; n/a until both '
            'have a kept run of every seed.')
