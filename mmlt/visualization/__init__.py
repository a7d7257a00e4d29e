"""Plots of long-tailed class statistics (pure matplotlib, no pyplot)."""
from .plots import (accuracy_vs_count_figure, class_distribution_figure,
                    plot_accuracy_vs_count, plot_class_distribution,
                    plot_confusion_matrix)

__all__ = [
    'accuracy_vs_count_figure', 'class_distribution_figure',
    'plot_accuracy_vs_count', 'plot_class_distribution',
    'plot_confusion_matrix'
]
