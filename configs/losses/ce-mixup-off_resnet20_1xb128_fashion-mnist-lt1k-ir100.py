# Cross-entropy with Mixup (alpha=0.2, as MMPretrain's ImageNet mixup
# recipe), switched off for the last 20% of training (fine-tuning without
# mixup, Bag of Tricks for long-tailed recognition, Zhang et al., AAAI 2021;
# the 20% is our choice, not the paper's).
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
default_hooks = dict(
    batch_augment_off=dict(type='BatchAugmentOffHook', num_last_epochs=0.2),
)
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='Mixup', alpha=0.2)]))
