# Plan "loss weight 2.0 for group 1": cross-entropy where each group-1 sample
# counts twice (LTLinearClsHead's group_weight; the group ids come from the
# CSVs' group_id column). The plan's own warning: weights above 3 over-fit
# the group.
_base_ = ['./ce_resnet20_1xb128_fashion-mnist-group-lift.py']
model = dict(head=dict(group_weight={1: 2.0}))
