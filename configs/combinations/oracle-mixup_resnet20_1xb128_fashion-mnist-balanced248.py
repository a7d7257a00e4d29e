# The oracle (configs/baselines/resnet20_ce_1xb128_fashion-mnist-
# balanced248.py: cross-entropy on a balanced draw of 248 images per class)
# with input mixup (alpha 1.0), the augmentation of the *-mixup_* rows and of
# MiSLAS's stage 1: what balanced data gives with the same recipe, so a
# mixup row's share of the gap is also measured against it (section
# recipe-oracles of docs/benchmarks.md). Cross-entropy takes the soft mixed
# target (use_soft), as the lt-bag-of-tricks mixup row.
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-balanced248.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='Mixup', alpha=1.0)]))
