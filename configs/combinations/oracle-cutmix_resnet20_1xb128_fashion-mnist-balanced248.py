# The oracle (configs/baselines/resnet20_ce_1xb128_fashion-mnist-
# balanced248.py) with CutMix (alpha 1.0), the augmentation of the
# *-cutmix_* rows: the balanced reference of their recipe (section
# recipe-oracles of docs/benchmarks.md). Cross-entropy takes the soft mixed
# target (use_soft).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-balanced248.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='CutMix', alpha=1.0)]))
