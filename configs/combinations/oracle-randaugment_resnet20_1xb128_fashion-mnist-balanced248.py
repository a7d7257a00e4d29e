# The oracle (configs/baselines/resnet20_ce_1xb128_fashion-mnist-
# balanced248.py) with the *-randaugment_* rows' training pipeline
# (configs/_base_/augment/fashion_mnist_randaugment.py): the balanced
# reference of their recipe (section recipe-oracles of docs/benchmarks.md).
_base_ = [
    '../baselines/resnet20_ce_1xb128_fashion-mnist-balanced248.py',
    '../_base_/augment/fashion_mnist_randaugment.py'
]
train_dataloader = dict(dataset=dict(dataset=dict(
    pipeline={{_base_.randaugment_train_pipeline}})))
