# Group plan 2, "loss weight 2.0 for group 1 + group sampling": plan 1
# (cross-entropy, each group-1 sample counts twice; on digits-LT group 1 is
# the heavy-stroke quarter of each class) plus a sampler that draws group-1
# samples twice as often. Classes keep their natural frequencies
# (strategy='instance'), so only the groups are re-balanced.
# The two compound: in expectation a group-1 sample weighs 2 x 2 = 4 times a
# group-0 sample of its class in the gradient.
_base_ = ['./ce-group1x2_convnext-atto_2xb32_digits-lt.py']
train_dataloader = dict(
    sampler=dict(
        _delete_=True,
        type='RebalancedSampler',
        strategy='instance',
        group_weight={1: 2.0}))
