# Cross-entropy baseline of mmlt's benchmark protocol (docs/benchmarks.md):
# ResNet-20 of He et al. (the CIFAR ResNet family of the long-tail papers,
# 3 blocks per stage) on Fashion-MNIST-LT (n_max 1,000, IR 100, one grey
# channel), SGD with warm-up and cosine decay over 60 epochs.
_base_ = [
    '../_base_/models/resnet32_cifar_lt.py',
    '../_base_/datasets/fashion_mnist_lt1k_bs128.py',
    '../_base_/schedules/lt_protocol_sgd_cosine_60e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(depth=20, in_channels=1), head=dict(num_classes=10))
