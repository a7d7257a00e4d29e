# ResNet-32 + cross-entropy on CIFAR-100-LT (IR 100), LDAM-DRW's 200-epoch SGD
# schedule and augmentation (random crop with 4-pixel padding, flip).
# Data: see configs/_base_/datasets/cifar100_lt_bs128.py (data_root, download).
_base_ = [
    '../_base_/models/resnet32_cifar_lt.py',
    '../_base_/datasets/cifar100_lt_bs128.py',
    '../_base_/schedules/cifar_lt_sgd_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=100))
