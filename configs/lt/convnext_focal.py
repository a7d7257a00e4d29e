# The demo: ConvNeXt-atto + MMPretrain's (sigmoid) FocalLoss on the
# long-tailed digits of scikit-learn (imbalance ratio 10, no download).
#   tools/dist_train.sh configs/lt/convnext_focal.py 2
_base_ = [
    '../_base_/models/convnext_atto_lt.py',
    '../_base_/datasets/digits_lt_bs32.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head=dict(
        num_classes=10,
        loss=dict(type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)))
# about 9 iterations per epoch per process: log every 5 for progress and ETA
default_hooks = dict(logger=dict(interval=5))
