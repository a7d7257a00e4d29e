# Cross-entropy baseline on CIFAR-10-LT (IR 100): the config the CIFAR-10-LT
# loss and head configs change. Data: see
# configs/_base_/datasets/cifar10_lt_bs128.py (data_root, download).
_base_ = [
    '../_base_/models/convnext_atto_lt.py',
    '../_base_/datasets/cifar10_lt_bs128.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
# lr of the schedule is for 64 images per iteration: scale to 128
optim_wrapper = dict(optimizer=dict(lr=4e-3))
