# Influence-balanced loss (Park et al., ICCV 2021), alpha=1000, after a
# cross-entropy warm start over the first half of training (the paper's
# 100 of 200 epochs; a fraction, so a shortened schedule keeps it).
# CIFAR-10-LT (IR 100); data: see configs/_base_/datasets/cifar10_lt_bs128.py.
_base_ = [
    '../../_base_/models/convnext_atto_lt.py',
    '../../_base_/datasets/cifar10_lt_bs128.py',
    '../../_base_/schedules/adamw_cosine_30e.py',
    '../../_base_/default_runtime.py',
]
model = dict(head=dict(
    num_classes=10,
    loss=dict(_delete_=True, type='InfluenceBalancedLoss', alpha=1000.0)))
default_hooks = dict(
    ib_warm_start=dict(type='IBWarmStartHook', start_epoch=0.5),
)
# lr of the schedule is for 64 images per iteration: scale to 128
optim_wrapper = dict(optimizer=dict(lr=4e-3))
