# Class-dependent temperatures (Ye et al., 2020), gamma=0.2 (the
# Bag-of-Tricks-LT reference implementation's default).
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(loss=dict(_delete_=True, type='CDTLoss', gamma=0.2)))
