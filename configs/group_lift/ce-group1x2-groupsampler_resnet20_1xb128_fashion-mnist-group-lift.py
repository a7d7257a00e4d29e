# Plan A, "loss weight 2.0 + group sampling": group 1 counts twice in the
# loss and is drawn twice as often by the sampler. Classes keep their
# natural frequencies (strategy='instance'), so only the groups are
# re-balanced; the two compound (in expectation a group-1 sample weighs
# 2 x 2 = 4 times a group-0 sample of its class in the gradient).
_base_ = ['./ce-group1x2_resnet20_1xb128_fashion-mnist-group-lift.py']
train_dataloader = dict(
    sampler=dict(
        _delete_=True,
        type='RebalancedSampler',
        strategy='instance',
        group_weight={1: 2.0}))
