"""Per-class change of a fix (e.g. a logit adjustment the advisor
recommends) against the class's training images: which classes it lifts
and which it costs."""
from typing import Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from mmlt.structures.shot_bins import SHOT_NAMES, shot_masks
from .figure_utils import (MAX_CELL_TEXT, SHOT_COLORS, PathLike, _as_1d,
                           _names, _new_figure, _save, _widen_for_labels)

__all__ = ['change_vs_count_figure', 'plot_change_vs_count']


def change_vs_count_figure(train_counts: Sequence[int],
                           per_class_change: Sequence[float],
                           class_names: Optional[Sequence[str]] = None,
                           many_shot_thr: float = 100,
                           few_shot_thr: float = 20,
                           title: str = 'Per-class change vs. training '
                           'images') -> Figure:
    """The figure of :func:`plot_change_vs_count`, not yet saved."""
    counts = _as_1d(train_counts, 'train_counts')
    change = _as_1d(per_class_change, 'per_class_change')
    if counts.size != change.size:
        raise ValueError(f'train_counts has {counts.size} entries but '
                         f'per_class_change has {change.size}.')
    if (counts < 0).any():
        raise ValueError(f'train_counts must be non-negative, got minimum '
                         f'{counts.min()}.')
    names = _names(class_names, counts.size)
    fig = _new_figure((7.0, 4.5))
    ax = fig.add_subplot()
    masks = shot_masks(counts, many_shot_thr, few_shot_thr)
    for label in SHOT_NAMES:
        shown = masks[label] & ~np.isnan(change)
        if shown.any():
            ax.scatter(counts[shown], change[shown], s=16,
                       color=SHOT_COLORS[label], alpha=0.8,
                       label=f'{label} ({int(masks[label].sum())})')
    ax.set_xscale('symlog' if (counts == 0).any() else 'log',
                  **({'linthresh': 1.0} if (counts == 0).any() else {}))
    ax.axhline(0, color='black', linewidth=0.8)
    for thr, style in ((many_shot_thr, '--'), (few_shot_thr, ':')):
        if thr > 0:
            ax.axvline(thr, color='gray', linestyle=style, linewidth=1)
    labels = []
    if counts.size <= MAX_CELL_TEXT:
        for i in np.flatnonzero(~np.isnan(change)):
            labels.append(ax.annotate(names[i], (counts[i], change[i]),
                                      fontsize=7, textcoords='offset points',
                                      xytext=(3, 3)))
    ax.set_xlabel(f'training images (thresholds: few < {few_shot_thr:g}, '
                  f'many > {many_shot_thr:g})')
    ax.set_ylabel('change in accuracy (points)')
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc='best', fontsize=8)
    if labels:
        _widen_for_labels(fig, ax, labels)
    return fig


def plot_change_vs_count(train_counts: Sequence[int],
                         per_class_change: Sequence[float],
                         out_file: PathLike,
                         class_names: Optional[Sequence[str]] = None,
                         many_shot_thr: float = 100,
                         few_shot_thr: float = 20,
                         title: str = 'Per-class change vs. training '
                         'images') -> str:
    """Scatter each class's accuracy change (points; NaN not drawn)
    against its training images (log x-axis), coloured by shot bin, with
    a line at 0 and the shot thresholds; writes ``out_file`` (PNG).

    Raises:
        ValueError: If the inputs are not 1-D, their lengths differ or a
            count is negative.
    """
    return _save(change_vs_count_figure(train_counts, per_class_change,
                                        class_names, many_shot_thr,
                                        few_shot_thr, title), out_file)
