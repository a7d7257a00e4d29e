"""Plots of long-tailed class statistics, written straight to PNG files.

Every function builds its own :class:`matplotlib.figure.Figure` on an Agg
canvas and never touches ``matplotlib.pyplot``'s global state, so the
functions are safe on headless machines, in worker threads and inside a
training run that has its own figures open. ``plot_*`` write a PNG file;
``*_figure`` return the same figure unsaved, to inspect or draw on.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Annotation

from mmlt.evaluation.functional import SHOT_NAMES, shot_masks

PathLike = Union[str, 'os.PathLike[str]']
#: A class x group count matrix (rows: classes, columns: groups).
CountMatrix = Union[np.ndarray, Sequence[Sequence[float]]]

#: Above this many classes, per-class tick labels are left out.
MAX_TICK_LABELS = 50
#: Above this many classes, confusion-matrix cells are not annotated.
MAX_CELL_TEXT = 20
#: Colour of each shot bin (bars of the class distribution, points of the
#: accuracy-vs-count plot).
SHOT_COLORS = {'many': 'tab:blue', 'medium': 'tab:orange', 'few': 'tab:red'}


def _as_1d(values: Sequence[float], name: str) -> np.ndarray:
    """Convert ``values`` to a 1-D float array or raise ValueError."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f'{name} must be a non-empty 1-D sequence, got '
                         f'shape {array.shape}.')
    return array


def _names(class_names: Optional[Sequence[str]], num_classes: int,
           name: str = 'class_names') -> List[str]:
    """Return class names, or indices as strings when none are given."""
    if class_names is None:
        return [str(i) for i in range(num_classes)]
    names = [str(n) for n in class_names]
    if len(names) != num_classes:
        raise ValueError(f'{name} has {len(names)} entries but there are '
                         f'{num_classes} classes.')
    return names


def _new_figure(size: Tuple[float, float]) -> Figure:
    """Create a figure attached to an Agg canvas (no pyplot)."""
    fig = Figure(figsize=size, layout='constrained')
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, out_file: PathLike, dpi: int = 100) -> str:
    """Write ``fig`` as PNG to ``out_file``, creating its folder."""
    out_file = os.fspath(out_file)
    parent = osp.dirname(osp.abspath(out_file))
    os.makedirs(parent, exist_ok=True)
    fig.savefig(out_file, format='png', dpi=dpi)
    return out_file


def _check_group_counts(group_counts: CountMatrix, counts: np.ndarray,
                        group_ids: Optional[Sequence[int]]
                        ) -> Tuple[np.ndarray, List[int]]:
    """Validate a class x group count matrix against the class totals."""
    matrix = np.asarray(group_counts, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != counts.size or \
            matrix.shape[1] == 0:
        raise ValueError(f'group_counts must have shape (classes, groups) = '
                         f'({counts.size}, G) with G >= 1, got shape '
                         f'{matrix.shape}.')
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise ValueError('group_counts must be finite and non-negative, got '
                         f'minimum {np.nanmin(matrix)}.')
    mismatch = np.flatnonzero(matrix.sum(axis=1) != counts)
    if mismatch.size:
        c = int(mismatch[0])
        raise ValueError(f'group_counts of class {c} sum to '
                         f'{matrix[c].sum():g} but counts[{c}] is '
                         f'{counts[c]:g}; each row must add up to the '
                         "class's count.")
    ids = list(range(matrix.shape[1])) if group_ids is None else [
        int(g) for g in group_ids
    ]
    if len(ids) != matrix.shape[1] or len(set(ids)) != len(ids):
        raise ValueError(f'group_ids must name the {matrix.shape[1]} '
                         f'columns of group_counts once each, got '
                         f'{list(group_ids)}.')
    return matrix, ids


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
        colors = [
            SHOT_COLORS[next(n for n in SHOT_NAMES if masks[n][c])]
            for c in range(counts_arr.size)
        ]
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
            :func:`mmlt.evaluation.functional.shot_masks`), with one legend
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


def _widen_for_labels(fig: Figure, ax: Axes,
                      labels: Sequence[Annotation]) -> None:
    """Raise the right x-limit and the top y-limit until every point label
    lies inside the axes.

    A label sits up and to the right of its point, so without this the
    label of the class with the most training images runs over the axes'
    right frame line (and one near 100% accuracy over the top line, into
    the title): constrained layout only shrinks the axes to make room, and
    the point moves with the axes, so the label still sticks out. For a
    label whose point sits at axes fraction ``f`` and which reaches ``d``
    pixels beyond the point on an axes ``W`` pixels wide, the span (in the
    axis' scale, e.g. log) must grow by ``f / (1 - d / W)``; labels longer
    than half the axes are left alone. Extents are measured after the
    layout has run, and widening only frees layout space, so the saved
    figure keeps them.
    """
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    grow = np.ones(2)
    for label in labels:
        extent = label.get_window_extent(renderer)
        x, y = ax.transData.transform(label.xy)
        for k, (frac, reach, size) in enumerate((
            ((x - box.x0) / box.width, extent.x1 - x, box.width),
            ((y - box.y0) / box.height, extent.y1 - y, box.height),
        )):
            if reach < size / 2:
                grow[k] = max(grow[k], frac / (1 - reach / size))
    for axis, grow_by, get, put in ((ax.xaxis, grow[0], ax.get_xlim,
                                     ax.set_xlim),
                                    (ax.yaxis, grow[1], ax.get_ylim,
                                     ax.set_ylim)):
        if grow_by > 1:
            scale = axis.get_transform()
            low, high = scale.transform(np.asarray(get(), dtype=float))
            new_high = low + grow_by * (high - low)
            put(get()[0], float(scale.inverted().transform([new_high])[0]))


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
