# Class-balanced sigmoid (one-vs-all) cross-entropy (Cui et al., CVPR 2019),
# beta=0.9999.
# CIFAR-10-LT (IR 100), on the cross-entropy baseline.
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='ClassBalancedLoss', beta=0.9999,
    loss_type='sigmoid')))
