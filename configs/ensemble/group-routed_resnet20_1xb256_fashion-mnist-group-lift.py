# The group-routed row of the group-lift benchmark (configs/group_lift/
# README.md): samples of group 1 go to plan C (softmax focal + stronger
# group-1 augmentation, the plan that lifted a degraded group 1 in the
# user's report), all others to the cross-entropy baseline, so group 0 keeps
# the baseline's accuracy exactly and group 1 gets plan C's. Train both on
# the same data (the benchmark fills in its own checkpoints), then test:
#   python tools/train.py configs/group_lift/\
#       focal-group1-strongaug_resnet20_1xb128_fashion-mnist-group-lift.py
#   python tools/train.py configs/group_lift/\
#       ce_resnet20_1xb128_fashion-mnist-group-lift.py
#   python tools/test.py configs/ensemble/\
#       group-routed_resnet20_1xb256_fashion-mnist-group-lift.py none
_base_ = [
    '../_base_/datasets/fashion_mnist_group_lift_bs128.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='GroupRoutedEnsemble',
    members=[
        dict(
            name='plan_c',
            config='configs/group_lift/'
            'focal-group1-strongaug_resnet20_1xb128_fashion-mnist-group-lift'
            '.py',
            checkpoint='work_dirs/'
            'focal-group1-strongaug_resnet20_1xb128_fashion-mnist-group-lift/'
            'epoch_60.pth'),
        dict(
            name='baseline',
            config='configs/group_lift/'
            'ce_resnet20_1xb128_fashion-mnist-group-lift.py',
            checkpoint='work_dirs/ce_resnet20_1xb128_fashion-mnist-group-lift/'
            'epoch_60.pth'),
    ],
    routes={1: 'plan_c'},
    fallback='baseline')
# Each member normalises with the data_preprocessor of its own config.
data_preprocessor = None
# Test only: an ensemble is not trained.
train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict()
