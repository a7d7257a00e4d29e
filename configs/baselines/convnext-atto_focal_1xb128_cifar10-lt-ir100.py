# ConvNeXt-atto + MMPretrain's (sigmoid) FocalLoss on CIFAR10-LT (IR 100).
# Data: see configs/_base_/datasets/cifar10_lt_bs128.py (data_root, download).
_base_ = [
    '../_base_/models/convnext_atto_lt.py',
    '../_base_/datasets/cifar10_lt_bs128.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head=dict(
        num_classes=10,
        loss=dict(type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)))
optim_wrapper = dict(optimizer=dict(lr=4e-3))
