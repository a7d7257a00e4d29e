"""Plots of a training set's counts: images per class (sorted, optionally
stacked by group or coloured by shot bin) and a class x group heatmap."""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from mmlt.structures.shot_bins import SHOT_NAMES, class_shots, shot_masks
from .figure_utils import (MAX_TICK_LABELS, SHOT_COLORS, CountMatrix,
                           PathLike, _as_1d, _check_group_counts, _names,
                           _new_figure, _save)

__all__ = [
    'class_distribution_figure', 'plot_class_distribution',
    'class_group_heatmap_figure', 'plot_class_group_heatmap'
]


def class_distribution_figure(
        counts: Sequence[int],
        class_names: Optional[Sequence[str]],
        title: str = 'Training images per class',
        log_scale: bool = True,
        group_counts: Optional[CountMatrix] = None,
        group_ids: Optional[Sequence[int]] = None,
        shot_thresholds: Optional[Tuple[float, float]] = None,
        ylabel: str = 'training images') -> Figure:
    """The figure of :func:`plot_class_distribution`, not yet saved.

    Args and Raises are those of :func:`plot_class_distribution` (without
    ``out_file``).

    Returns:
        Figure: One Axes; its ``containers`` hold one bar container per
        group (one in all without ``group_counts``), bars in the sorted
        class order.
    """
    counts_arr = _as_1d(counts, 'counts')
    if (counts_arr < 0).any():
        raise ValueError(f'counts must be non-negative, got minimum '
                         f'{counts_arr.min()}.')
    names = _names(class_names, counts_arr.size)
    if group_counts is not None:
        matrix, ids = _check_group_counts(group_counts, counts_arr,
                                          group_ids)
    elif group_ids is not None:
        raise ValueError(f'group_ids={list(group_ids)} needs group_counts.')
    colors: Union[str, List[str]] = 'tab:blue'
    if shot_thresholds is not None:
        if group_counts is not None:
            raise ValueError('shot_thresholds colour whole bars and '
                             'group_counts stacks them by group: pass one '
                             f'of them, got shot_thresholds={shot_thresholds}'
                             ' and group_counts')
        if len(shot_thresholds) != 2:
            raise ValueError('shot_thresholds must be (many_shot_thr, '
                             f'few_shot_thr), got {shot_thresholds!r}.')
        masks = shot_masks(counts_arr, *shot_thresholds)
        colors = [SHOT_COLORS[shot] for shot in class_shots(masks)]
    order = np.argsort(-counts_arr, kind='stable')
    num = counts_arr.size
    fig = _new_figure((min(max(6.0, 0.25 * num), 30.0), 4.5))
    ax = fig.add_subplot()
    positions = np.arange(num)
    width = 0.9 if num <= 200 else 1.0
    if group_counts is None:
        ax.bar(positions, counts_arr[order], width=width,
               color=colors if isinstance(colors, str) else
               [colors[i] for i in order])
        if shot_thresholds is not None:
            many_thr, few_thr = shot_thresholds
            labels = {'many': f'many-shot (> {many_thr:g})',
                      'medium': f'medium-shot ({few_thr:g}-{many_thr:g})',
                      'few': f'few-shot (< {few_thr:g})'}
            for thr, style in ((many_thr, '--'), (few_thr, ':')):
                if thr > 0:
                    ax.axhline(thr, color='gray', linestyle=style,
                               linewidth=1)
            ax.legend(handles=[
                Patch(color=SHOT_COLORS[name],
                      label=f'{labels[name]}: {int(masks[name].sum())}')
                for name in SHOT_NAMES
            ], loc='upper right', fontsize=8)
    else:
        bottom = np.zeros(num)
        for j, group in enumerate(ids):
            heights = matrix[order, j]
            ax.bar(positions, heights, width=width, bottom=bottom,
                   color=f'C{j % 10}', label=f'group {group}')
            bottom = bottom + heights
        ax.legend(loc='upper right', fontsize=8)
    if log_scale and (counts_arr > 0).any():
        ax.set_yscale('log')
    if num <= MAX_TICK_LABELS:
        ax.set_xticks(positions)
        ax.set_xticklabels([names[i] for i in order], rotation=90,
                           fontsize=8)
        ax.set_xlabel('class')
    else:
        ax.set_xlabel(f'class rank by training count ({num} classes)')
    ax.set_xlim(-0.5, num - 0.5)
    ax.set_ylabel(ylabel)
    ratio = (counts_arr.max() / counts_arr.min()
             if counts_arr.min() > 0 else float('inf'))
    ax.set_title(f'{title} (imbalance ratio {ratio:.1f})')
    return fig


def plot_class_distribution(
        counts: Sequence[int],
        class_names: Optional[Sequence[str]],
        out_file: PathLike,
        title: str = 'Training images per class',
        log_scale: bool = True,
        group_counts: Optional[CountMatrix] = None,
        group_ids: Optional[Sequence[int]] = None,
        shot_thresholds: Optional[Tuple[float, float]] = None,
        ylabel: str = 'training images') -> str:
    """Bar chart of training images per class, sorted by count descending.

    With ``group_counts`` each bar is a stack of one segment per group
    (bottom to top in column order, legend ``group <id>``), so the bar's
    top is still the class's count.

    Args:
        counts (Sequence[int]): Training images per class, shape ``(C,)``.
        class_names (Sequence[str], optional): Names of the C classes; class
            indices are used when None. Tick labels are drawn only for at
            most :data:`MAX_TICK_LABELS` classes.
        out_file (str | os.PathLike): PNG file to write; its folder is
            created.
        title (str): Figure title.
        log_scale (bool): Whether to draw the count axis in log scale, which
            keeps the few-shot tail visible (stacked segments then show
            their counts as differences of log heights).
        group_counts (array-like, optional): Training images of class c in
            group j at ``[c, j]``, shape ``(C, G)``; each row must add up to
            ``counts[c]``.
        group_ids (Sequence[int], optional): The group id of each column of
            ``group_counts`` (for the legend); ``0 .. G-1`` when None.
        shot_thresholds (Tuple[float, float], optional):
            ``(many_shot_thr, few_shot_thr)``: colour each bar by its shot
            bin (:data:`SHOT_COLORS`; the split of
            :func:`mmlt.structures.shot_bins.shot_masks`), with one legend
            entry per bin giving its number of classes, and draw the two
            thresholds as horizontal lines (dashed: many, dotted: few). Not
            with ``group_counts``.
        ylabel (str): Label of the count axis.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: If ``counts`` is not a non-empty 1-D sequence of
            non-negative numbers, ``class_names`` has another length,
            ``group_counts`` is not a non-negative ``(C, G)`` matrix whose
            rows add up to ``counts``, ``group_ids`` does not name its
            columns once each (or comes without ``group_counts``), or
            ``shot_thresholds`` is not two thresholds, the few-shot one
            below the many-shot one, or comes with ``group_counts``.
    """
    return _save(
        class_distribution_figure(counts, class_names, title, log_scale,
                                  group_counts, group_ids, shot_thresholds,
                                  ylabel), out_file)


def class_group_heatmap_figure(
        group_counts: CountMatrix,
        class_names: Optional[Sequence[str]],
        group_ids: Optional[Sequence[int]] = None,
        title: str = 'Images per class and group') -> Figure:
    """The figure of :func:`plot_class_group_heatmap`, not yet saved.

    Args and Raises are those of :func:`plot_class_group_heatmap` (without
    ``out_file``).

    Returns:
        Figure: The heatmap Axes first (its image holds the counts, zeros
        masked), then the colour bar's; the heatmap's ``texts`` are the cell
        counts when drawn.
    """
    matrix = np.asarray(group_counts, dtype=np.float64)
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError('group_counts must be a non-empty (classes, groups)'
                         f' matrix, got shape {matrix.shape}.')
    matrix, ids = _check_group_counts(matrix, matrix.sum(axis=1), group_ids)
    num, num_groups = matrix.shape
    names = _names(class_names, num)
    fig = _new_figure((min(3.5 + 0.9 * num_groups, 20.0),
                       min(max(3.0, 0.22 * num + 1.5), 30.0)))
    ax = fig.add_subplot()
    peak = matrix.max()
    image = ax.imshow(
        np.ma.masked_equal(matrix, 0), cmap='viridis', aspect='auto',
        interpolation='nearest',
        norm=LogNorm(vmin=1, vmax=max(peak, 2.0)))
    ax.set_facecolor('0.9')  # empty cells
    fig.colorbar(image, ax=ax, shrink=0.8, label='images (log scale)')
    ax.set_xticks(np.arange(num_groups))
    ax.set_xticklabels([f'group {g}' for g in ids], fontsize=8,
                       rotation=0 if num_groups <= 6 else 90)
    ax.set_xlabel('group')
    if num <= MAX_TICK_LABELS:
        ax.set_yticks(np.arange(num))
        ax.set_yticklabels(names, fontsize=8)
        ax.set_ylabel('class')
        half = np.log(max(peak, 2.0)) / 2  # viridis is light above this
        for (i, j), value in np.ndenumerate(matrix):
            dark_cell = 0 < value and np.log(value) <= half
            ax.text(j, i, f'{value:g}', ha='center', va='center', fontsize=7,
                    color='white' if dark_cell else 'black')
    else:
        ax.set_ylabel(f'class index ({num} classes)')
    ax.set_title(title)
    return fig


def plot_class_group_heatmap(group_counts: CountMatrix,
                             class_names: Optional[Sequence[str]],
                             out_file: PathLike,
                             group_ids: Optional[Sequence[int]] = None,
                             title: str = 'Images per class and group'
                             ) -> str:
    """Heatmap of images per class (rows, label order) and group (columns).

    Colours are on a log scale, so a group holding 5 images of a class
    stays distinguishable from one holding none (empty cells are grey) next
    to one with thousands. Cells carry their counts for at most
    :data:`MAX_TICK_LABELS` classes.

    Args:
        group_counts (array-like): Images of class c in group j at
            ``[c, j]``, shape ``(C, G)``.
        class_names (Sequence[str], optional): Names of the C classes; class
            indices are used when None.
        out_file (str | os.PathLike): PNG file to write; its folder is
            created.
        group_ids (Sequence[int], optional): The group id of each column;
            ``0 .. G-1`` when None.
        title (str): Figure title.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: If ``group_counts`` is not a non-empty, finite,
            non-negative ``(C, G)`` matrix, ``class_names`` has another
            length, or ``group_ids`` does not name its columns once each.
    """
    return _save(
        class_group_heatmap_figure(group_counts, class_names, group_ids,
                                   title), out_file)
