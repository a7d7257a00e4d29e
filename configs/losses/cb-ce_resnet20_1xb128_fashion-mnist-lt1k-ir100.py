# Class-balanced softmax cross-entropy (Cui et al., CVPR 2019), beta=0.9999.
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='ClassBalancedLoss', beta=0.9999,
    loss_type='softmax')))
