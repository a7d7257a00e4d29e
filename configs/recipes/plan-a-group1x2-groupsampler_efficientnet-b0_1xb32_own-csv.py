# Group plan A of the 44-class reference project, for lifting the accuracy
# of one source of images (group 1: the group_id column of the CSVs): a
# loss weight of 2.0 for group 1 and group-weighted sampling, on V1
# (EfficientNet-B0, class-balanced re-sampling, flip + rotation +
# brightness, plateau lr).
# - Loss weight: each group-1 sample counts twice in the cross-entropy
#   (LTLinearClsHead's group_weight).
# - Sampling: V1's class-balanced draw, with each group-1 image twice as
#   likely as a group-0 image of its class (RebalancedSampler's
#   group_weight).
# The two compound: in expectation a group-1 image weighs 2 x 2 = 4 times a
# group-0 image of its class in the gradient. Weights above 3 tend to
# over-fit the group. For another group, change the key 1.
_base_ = ['./v1-cb-resample-plateau_efficientnet-b0_1xb32_own-csv.py']
model = dict(head=dict(group_weight={1: 2.0}))
train_dataloader = dict(
    sampler=dict(
        _delete_=True,
        type='RebalancedSampler',
        strategy='class_balanced',
        group_weight={1: 2.0}))
