# Plan A, "loss weight 2.0 + group sampling" (configs/group_lift/
# ce-group1x2-groupsampler_resnet20_1xb128_fashion-mnist-group-lift.py)
# under the fine-tuning protocol: group 1 counts twice in the loss and is
# drawn twice as often by the sampler; classes keep their natural
# frequencies (strategy='instance'), so only the groups are re-balanced.
_base_ = [
    './ce-group1x2_efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60.py'
]
train_dataloader = dict(
    sampler=dict(
        _delete_=True,
        type='RebalancedSampler',
        strategy='instance',
        group_weight={1: 2.0}))
