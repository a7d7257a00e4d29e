"""Plots of evaluation results per class: accuracy against training count
(coloured by shot bin) and the confusion matrix."""
from typing import Optional, Sequence, Union

import numpy as np
from matplotlib.figure import Figure

from mmlt.structures.shot_bins import SHOT_NAMES, shot_masks
from .figure_utils import (MAX_CELL_TEXT, MAX_TICK_LABELS, SHOT_COLORS,
                           PathLike, _as_1d, _names, _new_figure, _save,
                           _widen_for_labels)

__all__ = [
    'accuracy_vs_count_figure', 'plot_accuracy_vs_count',
    'plot_confusion_matrix'
]


def accuracy_vs_count_figure(train_counts: Sequence[int],
                             per_class_accuracy: Sequence[float],
                             class_names: Optional[Sequence[str]],
                             many_shot_thr: float = 100,
                             few_shot_thr: float = 20,
                             title: str = 'Per-class accuracy vs. training '
                             'images') -> Figure:
    """The figure of :func:`plot_accuracy_vs_count`, not yet saved.

    Args and Raises are those of :func:`plot_accuracy_vs_count` (without
    ``out_file``).

    Returns:
        Figure: One Axes; its ``texts`` are the point labels.
    """
    counts = _as_1d(train_counts, 'train_counts')
    acc = _as_1d(per_class_accuracy, 'per_class_accuracy')
    if counts.size != acc.size:
        raise ValueError(f'train_counts has {counts.size} entries but '
                         f'per_class_accuracy has {acc.size}.')
    if (counts < 0).any():
        raise ValueError(f'train_counts must be non-negative, got minimum '
                         f'{counts.min()}.')
    if few_shot_thr >= many_shot_thr:
        raise ValueError(f'few_shot_thr ({few_shot_thr}) must be smaller '
                         f'than many_shot_thr ({many_shot_thr}).')
    names = _names(class_names, counts.size)

    fig = _new_figure((7.0, 4.5))
    ax = fig.add_subplot()
    masks = shot_masks(counts, many_shot_thr, few_shot_thr)
    for label in SHOT_NAMES:
        mask = masks[label]
        shown = mask & ~np.isnan(acc)
        if shown.any():
            ax.scatter(counts[shown], acc[shown], s=14,
                       color=SHOT_COLORS[label],
                       alpha=0.8, label=f'{label} ({int(mask.sum())})')
    if (counts == 0).any():
        ax.set_xscale('symlog', linthresh=1.0)
    else:
        ax.set_xscale('log')
    for thr, style in ((many_shot_thr, '--'), (few_shot_thr, ':')):
        if thr > 0:
            ax.axvline(thr, color='gray', linestyle=style, linewidth=1)
    labels = []
    if counts.size <= MAX_CELL_TEXT:
        for i in np.flatnonzero(~np.isnan(acc)):
            labels.append(
                ax.annotate(names[i], (counts[i], acc[i]), fontsize=7,
                            textcoords='offset points', xytext=(3, 3)))
    ax.set_ylim(-2, 102)
    ax.set_xlabel(f'training images (thresholds: few < {few_shot_thr:g}, '
                  f'many > {many_shot_thr:g})')
    ax.set_ylabel('accuracy (%)')
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc='lower right', fontsize=8)
    if labels:
        _widen_for_labels(fig, ax, labels)
    return fig


def plot_accuracy_vs_count(train_counts: Sequence[int],
                           per_class_accuracy: Sequence[float],
                           class_names: Optional[Sequence[str]],
                           out_file: PathLike,
                           many_shot_thr: float = 100,
                           few_shot_thr: float = 20,
                           title: str = 'Per-class accuracy vs. training '
                           'images') -> str:
    """Scatter per-class accuracy (%) against training count (log x-axis).

    Vertical lines mark the many-/few-shot thresholds of Liu et al. (OLTR,
    2019); points are coloured by shot bin (many: count > many_shot_thr,
    few: count < few_shot_thr, medium otherwise). Classes with zero training
    images are drawn on a symmetric-log axis so they stay visible. Point
    labels sit up and to the right of their point; the axes extend to the
    right and above 100% as far as the labels need.

    Args:
        train_counts (Sequence[int]): Training images per class, shape
            ``(C,)``.
        per_class_accuracy (Sequence[float]): Per-class accuracy (recall) in
            percent, shape ``(C,)``; ``nan`` entries (classes absent from
            the test set) are not drawn.
        class_names (Sequence[str], optional): Names of the C classes; used
            to label points when there are at most :data:`MAX_CELL_TEXT`.
        out_file (str | os.PathLike): PNG file to write; its folder is
            created.
        many_shot_thr (float): Many-shot threshold (OLTR uses 100).
        few_shot_thr (float): Few-shot threshold (OLTR uses 20).
        title (str): Figure title.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: If the inputs are not 1-D, their lengths differ, a count
            is negative or ``few_shot_thr >= many_shot_thr``.
    """
    return _save(
        accuracy_vs_count_figure(train_counts, per_class_accuracy,
                                 class_names, many_shot_thr, few_shot_thr,
                                 title), out_file)


def plot_confusion_matrix(confusion: Union[np.ndarray, Sequence[Sequence[
        float]]],
                          class_names: Optional[Sequence[str]],
                          out_file: PathLike,
                          normalize: bool = True,
                          title: str = 'Confusion matrix') -> str:
    """Draw a confusion matrix (rows: ground truth, columns: prediction).

    Args:
        confusion (np.ndarray): Count matrix of shape ``(C, C)``.
        class_names (Sequence[str], optional): Names of the C classes; class
            indices are used when None. Tick labels are drawn for at most
            :data:`MAX_TICK_LABELS` classes, cell values for at most
            :data:`MAX_CELL_TEXT`.
        out_file (str | os.PathLike): PNG file to write; its folder is
            created.
        normalize (bool): Whether to divide each row by its ground-truth
            count, so the diagonal shows per-class recall; rows of classes
            absent from the ground truth stay zero.
        title (str): Figure title.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: If ``confusion`` is not a non-empty square matrix or
            ``class_names`` has another length.
    """
    matrix = np.asarray(confusion, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or \
            matrix.size == 0:
        raise ValueError(f'confusion must be a non-empty square matrix, got '
                         f'shape {matrix.shape}.')
    num = matrix.shape[0]
    names = _names(class_names, num)
    if normalize:
        rows = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, rows, out=np.zeros_like(matrix),
                           where=rows > 0)

    side = min(max(5.0, 0.3 * num + 2.0), 20.0)
    fig = _new_figure((side + 1.0, side))
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap='Blues', interpolation='nearest',
                      vmin=0.0, vmax=1.0 if normalize else None)
    fig.colorbar(image, ax=ax, shrink=0.8)
    if num <= MAX_TICK_LABELS:
        ticks = np.arange(num)
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        ax.set_xticklabels(names, rotation=90, fontsize=8)
        ax.set_yticklabels(names, fontsize=8)
    if num <= MAX_CELL_TEXT:
        peak = matrix.max() if matrix.size else 0.0
        for (i, j), value in np.ndenumerate(matrix):
            text = f'{value:.2f}' if normalize else f'{value:g}'
            color = 'white' if peak > 0 and value > peak / 2 else 'black'
            ax.text(j, i, text, ha='center', va='center', fontsize=7,
                    color=color)
    ax.set_xlabel('predicted class')
    ax.set_ylabel('ground-truth class')
    ax.set_title(f'{title} (row-normalized)' if normalize else title)
    return _save(fig, out_file)
