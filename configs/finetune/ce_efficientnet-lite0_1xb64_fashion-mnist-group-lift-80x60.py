# Cross-entropy baseline of the group-lift benchmark (configs/group_lift/
# README.md) under the fine-tuning protocol (docs/benchmarks.md,
# --protocol finetune): the protocol's EfficientNet-Lite0 from ImageNet-1k
# weights, schedule and channels-last weights (configs/baselines/
# efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py) on
# Fashion-MNIST-LT with a group 1 that is rare or degraded, at 80x60 in
# three equal channels (configs/_base_/datasets/
# fashion_mnist_group_lift_80x60_rgb_bs64.py; data_root is the degraded
# case). The group plans of this folder inherit it, as the ResNet-20 ones
# of configs/group_lift/ inherit theirs.
_base_ = [
    '../_base_/models/efficientnet_lite0_tf_lt.py',
    '../_base_/datasets/fashion_mnist_group_lift_80x60_rgb_bs64.py',
    '../_base_/schedules/finetune_sgd_cosine_20e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
# weights channels-last, as the fine-tuning baseline (ChannelsLastHook;
# `default_hooks.channels_last=None` off)
default_hooks = dict(channels_last=dict(type='ChannelsLastHook'))
