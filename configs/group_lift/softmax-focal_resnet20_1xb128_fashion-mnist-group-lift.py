# Softmax focal loss alone (Lin et al., ICCV 2017; gamma=2 as in the paper,
# no alpha): the first half of plan C, for every sample of either group.
_base_ = ['./ce_resnet20_1xb128_fashion-mnist-group-lift.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
