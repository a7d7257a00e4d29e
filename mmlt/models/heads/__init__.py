from .lt_linear_head import (LTLinearClsHead, LTNormedLinearClsHead,
                             find_head, group_sample_weights)
from .tau_norm import DEFAULT_TAUS, check_tau, tau_normalize
from .cosine_cls_head import CosineClsHead, cosine_margin_logits
from .deep_supervision_head import DeepSupervisionHead
from .group_multitask_head import GroupMultiTaskHead, group_targets
from .wrapped_head import (MainHeadWrapper, main_head_config,
                           strip_auxiliary_heads)

__all__ = [
    'LTLinearClsHead', 'LTNormedLinearClsHead', 'find_head',
    'group_sample_weights',
    'CosineClsHead', 'cosine_margin_logits', 'DeepSupervisionHead',
    'GroupMultiTaskHead', 'group_targets', 'MainHeadWrapper',
    'main_head_config', 'strip_auxiliary_heads', 'DEFAULT_TAUS',
    'check_tau', 'tau_normalize'
]
