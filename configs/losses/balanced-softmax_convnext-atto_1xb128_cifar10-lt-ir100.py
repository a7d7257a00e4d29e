# Balanced softmax (Ren et al., NeurIPS 2020).
# CIFAR-10-LT (IR 100), on the cross-entropy baseline.
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
