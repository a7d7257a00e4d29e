# Plan C, "focal + stronger augmentation for group 1": softmax focal loss
# (Lin et al., ICCV 2017; gamma=2) with the group-1 augmentation of
# ce-group1-strongaug_resnet20_1xb128_fashion-mnist-group-lift.py (rotation
# up to 15 degrees and shear up to 0.2 on top of the protocol's crop and
# flip, group 1 only).
_base_ = ['./ce-group1-strongaug_resnet20_1xb128_fashion-mnist-group-lift.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
