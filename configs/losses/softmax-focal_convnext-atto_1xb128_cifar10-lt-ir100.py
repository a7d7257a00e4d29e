# Softmax focal loss (Lin et al., ICCV 2017), gamma=2, no alpha.
# CIFAR-10-LT (IR 100), on the cross-entropy baseline.
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
