"""Heatmap losses (registered in MMPretrain's MODELS like the classification
losses, and re-exported by :mod:`mmlt.models.losses`)."""
from .focal_heatmap_loss import FocalHeatmapLoss, focal_heatmap_loss

__all__ = ['FocalHeatmapLoss', 'focal_heatmap_loss']
