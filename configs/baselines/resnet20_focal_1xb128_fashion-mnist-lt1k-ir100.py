# MMPretrain's (sigmoid) FocalLoss on Fashion-MNIST-LT (IR 100).
_base_ = ['./resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(
    head=dict(
        loss=dict(type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)))
