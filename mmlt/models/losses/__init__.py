"""Long-tail and group-weighted losses (registered in MMPretrain's MODELS).

Each loss is a pure function on tensors plus a thin module on
:class:`~mmlt.models.losses.base_loss.BaseLTLoss` (MMPretrain's loss
signature, one template ``forward``). Losses that need the training class
counts receive them once through ``set_class_counts`` (mmlt's head calls it)
and derive their per-class buffers then. What else a loss is (the inputs it
takes from the head, what it leaves in the logits, whether its class weights
can be switched) it declares in its own class (see
:mod:`~mmlt.models.losses.base_loss`), and the head and hooks read those
declarations rather than keep lists of losses.
"""
from .balanced_softmax_loss import BalancedSoftmaxLoss
from .base_loss import (CLASS_WEIGHT_NORMS, EXTRA_INPUTS, LOGIT_KINDS,
                        BaseLTLoss, ClassWeightMixin, check_extra_inputs,
                        class_weighted_losses, describe_logits)
from .cdt_loss import CDTLoss, cdt_loss, cdt_temperatures
from .class_balanced_loss import ClassBalancedLoss, class_balanced_loss
from .cost_sensitive_ce_loss import CostSensitiveCELoss
from .heatmap import FocalHeatmapLoss, focal_heatmap_loss
from .influence_balanced_loss import (InfluenceBalancedFocalLoss,
                                      InfluenceBalancedLoss,
                                      influence_balanced_loss,
                                      sample_influence)
from .joint_focal_ce_loss import JointFocalCELoss, joint_focal_ce_loss
from .label_aware_smoothing_loss import (LabelAwareSmoothingLoss,
                                         label_aware_smoothing,
                                         label_aware_smoothing_loss,
                                         label_aware_targets)
from .ldam_loss import LDAMLoss, ldam_loss, ldam_margins
from .logit_adjusted_loss import LogitAdjustedLoss, logit_adjusted_loss
from .softmax_eql_loss import SoftmaxEQLLoss, softmax_eql_loss
from .softmax_focal_loss import (SoftmaxFocalLoss, focal_modulator,
                                 softmax_focal_loss)
from .utils import (check_class_counts, effective_number_weights,
                    inverse_power_weights)

__all__ = [
    'BalancedSoftmaxLoss', 'BaseLTLoss', 'CDTLoss', 'CLASS_WEIGHT_NORMS',
    'ClassWeightMixin', 'EXTRA_INPUTS', 'LOGIT_KINDS', 'check_extra_inputs',
    'class_weighted_losses', 'describe_logits',
    'ClassBalancedLoss', 'CostSensitiveCELoss', 'FocalHeatmapLoss',
    'InfluenceBalancedFocalLoss', 'InfluenceBalancedLoss', 'JointFocalCELoss',
    'LDAMLoss', 'LabelAwareSmoothingLoss', 'LogitAdjustedLoss',
    'SoftmaxEQLLoss', 'SoftmaxFocalLoss',
    'cdt_loss', 'cdt_temperatures', 'check_class_counts',
    'class_balanced_loss', 'effective_number_weights', 'focal_heatmap_loss',
    'focal_modulator', 'influence_balanced_loss', 'inverse_power_weights',
    'joint_focal_ce_loss', 'label_aware_smoothing',
    'label_aware_smoothing_loss', 'label_aware_targets', 'ldam_loss',
    'ldam_margins', 'logit_adjusted_loss',
    'sample_influence', 'softmax_eql_loss', 'softmax_focal_loss'
]
