"""Plots of long-tailed class statistics (pure matplotlib, no pyplot)."""
from .plots import (plot_accuracy_vs_count, plot_class_distribution,
                    plot_confusion_matrix)

__all__ = [
    'plot_accuracy_vs_count', 'plot_class_distribution',
    'plot_confusion_matrix'
]
