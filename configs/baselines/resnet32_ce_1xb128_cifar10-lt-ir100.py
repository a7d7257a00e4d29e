# The CIFAR-LT baseline of the long-tail papers: ResNet-32 + cross-entropy on
# CIFAR-10-LT (IR 100), LDAM-DRW's 200-epoch SGD schedule and augmentation
# (random 32x32 crop of the 4-pixel padded image, horizontal flip).
# Data: see configs/_base_/datasets/cifar10_lt_bs128.py (data_root, download).
_base_ = [
    '../_base_/models/resnet32_cifar_lt.py',
    '../_base_/datasets/cifar10_lt_bs128.py',
    '../_base_/schedules/cifar_lt_sgd_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
