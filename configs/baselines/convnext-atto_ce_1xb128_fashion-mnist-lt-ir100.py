# Cross-entropy baseline on Fashion-MNIST-LT (IR 100); one grey channel.
_base_ = [
    '../_base_/models/convnext_atto_lt.py',
    '../_base_/datasets/fashion_mnist_lt_bs128.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=dict(in_channels=1), head=dict(num_classes=10))
# lr of the schedule is for 64 images per iteration: scale to 128
optim_wrapper = dict(optimizer=dict(lr=4e-3))
