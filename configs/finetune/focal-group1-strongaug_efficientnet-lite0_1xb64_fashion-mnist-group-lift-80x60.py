# Plan C, "focal + stronger augmentation for group 1" (configs/group_lift/
# focal-group1-strongaug_resnet20_1xb128_fashion-mnist-group-lift.py) under
# the fine-tuning protocol: softmax focal loss (Lin et al., ICCV 2017;
# gamma=2) and, for group-1 images alone (ApplyByGroup), rotation by up to
# 15 degrees and shear by up to 0.2, each half of the time, on top of the
# protocol's crop and flip (Simard et al., ICDAR 2003). Degrees and a shear
# ratio have no size in pixels: the 28x28 plan applies at 80x60 unchanged
# (black pads, the background of both groups).
_base_ = [
    './ce_efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60.py',
    '../_base_/augment/group1_rotate_shear.py'
]
model = dict(head=dict(
    loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
# the data base's training pipeline (grey PNG, 80x60, three channels, crop
# and flip) with group 1's augmentation before PackInputs
train_pipeline = [
    *_base_.train_pipeline[:-1],
    dict(
        type='ApplyByGroup', pipelines={1: _base_.group1_augment},
        default=[]),
    _base_.train_pipeline[-1],
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
