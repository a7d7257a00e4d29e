# Plan "loss weight 2.0 for group 1" (configs/group_lift/
# ce-group1x2_resnet20_1xb128_fashion-mnist-group-lift.py) under the
# fine-tuning protocol: cross-entropy where each group-1 sample counts twice
# (LTLinearClsHead's group_weight; the group ids come from the CSVs'
# group_id column), on the fine-tuned EfficientNet-Lite0 at 80x60.
_base_ = ['./ce_efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60.py']
model = dict(head=dict(group_weight={1: 2.0}))
