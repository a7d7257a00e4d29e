from .lt_linear_head import LTLinearClsHead, find_head, gather_group_ids

__all__ = ['LTLinearClsHead', 'find_head', 'gather_group_ids']
