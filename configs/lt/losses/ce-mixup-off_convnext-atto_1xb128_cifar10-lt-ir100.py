# Cross-entropy with Mixup (alpha=0.2, as MMPretrain's ImageNet mixup
# recipe), switched off for the last 20% of training (fine-tuning without
# mixup, Bag of Tricks for long-tailed recognition, Zhang et al., AAAI 2021;
# the 20% is our choice, not the paper's).
# CIFAR-10-LT (IR 100); data: see configs/_base_/datasets/cifar10_lt_bs128.py.
_base_ = [
    '../../_base_/models/convnext_atto_lt.py',
    '../../_base_/datasets/cifar10_lt_bs128.py',
    '../../_base_/schedules/adamw_cosine_30e.py',
    '../../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10,
                       loss=dict(_delete_=True,
                                 type='CrossEntropyLoss',
                                 use_soft=True,
                                 loss_weight=1.0)))
default_hooks = dict(
    batch_augment_off=dict(type='BatchAugmentOffHook', num_last_epochs=0.2),
)
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='Mixup', alpha=0.2)]))
# lr of the schedule is for 64 images per iteration: scale to 128
optim_wrapper = dict(optimizer=dict(lr=4e-3))
