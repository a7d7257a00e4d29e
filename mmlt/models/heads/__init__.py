from .lt_linear_head import (LTLinearClsHead, LTNormedLinearClsHead,
                             find_head, gather_group_ids,
                             group_sample_weights, parse_group_weight)

__all__ = [
    'LTLinearClsHead', 'LTNormedLinearClsHead', 'find_head',
    'gather_group_ids', 'group_sample_weights', 'parse_group_weight'
]
