# Class-dependent temperatures (Ye et al., 2020), gamma=0.2 (the
# Bag-of-Tricks-LT reference implementation's default).
# CIFAR-10-LT (IR 100), on the cross-entropy baseline.
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(head=dict(loss=dict(_delete_=True, type='CDTLoss', gamma=0.2)))
