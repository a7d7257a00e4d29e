"""Plots of long-tailed class statistics, written straight to PNG files.

Every function builds its own :class:`matplotlib.figure.Figure` on an Agg
canvas and never touches ``matplotlib.pyplot``'s global state, so the
functions are safe on headless machines, in worker threads and inside a
training run that has its own figures open. ``plot_*`` write a PNG file;
``*_figure`` return the same figure unsaved, to inspect or draw on.
"""
# The plots live in one module per subject; this module keeps the names that
# callers import from ``mmlt.visualization.plots``.
from .change_plots import change_vs_count_figure, plot_change_vs_count
from .count_plots import (class_distribution_figure,
                          class_group_heatmap_figure, plot_class_distribution,
                          plot_class_group_heatmap)
from .figure_utils import (MAX_CELL_TEXT, MAX_TICK_LABELS, SHOT_COLORS,
                           CountMatrix, PathLike, _new_figure, _save)
from .result_plots import (accuracy_vs_count_figure, plot_accuracy_vs_count,
                           plot_confusion_matrix)

__all__ = [
    'MAX_CELL_TEXT', 'MAX_TICK_LABELS', 'SHOT_COLORS', 'CountMatrix',
    'PathLike', 'class_distribution_figure', 'plot_class_distribution',
    'class_group_heatmap_figure', 'plot_class_group_heatmap',
    'accuracy_vs_count_figure', 'plot_accuracy_vs_count',
    'plot_confusion_matrix', 'change_vs_count_figure', 'plot_change_vs_count',
    '_new_figure', '_save'
]
