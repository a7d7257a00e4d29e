# Softmax equalization loss (Tan et al., CVPR 2020); lambda=5e-3, gamma=0.9
# (the Bag-of-Tricks-LT reference implementation's defaults).
# CIFAR-10-LT (IR 100), on the cross-entropy baseline.
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='SoftmaxEQLLoss', freq_threshold=5e-3, gamma=0.9)))
