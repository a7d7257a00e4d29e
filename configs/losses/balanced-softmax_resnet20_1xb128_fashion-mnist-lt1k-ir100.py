# Balanced softmax (Ren et al., NeurIPS 2020).
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
