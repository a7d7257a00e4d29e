# Cross-entropy baseline of the group-lift benchmark (README.md): the
# benchmark protocol's ResNet-20 and schedule (configs/baselines/
# resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py) on Fashion-MNIST-LT with a
# group 1 that is rare or degraded (configs/_base_/datasets/
# fashion_mnist_group_lift_bs128.py; data_root is the degraded case).
_base_ = [
    '../_base_/models/resnet32_cifar_lt.py',
    '../_base_/datasets/fashion_mnist_group_lift_bs128.py',
    '../_base_/schedules/lt_protocol_sgd_cosine_60e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(depth=20, in_channels=1), head=dict(num_classes=10))
