# Stronger augmentation for group 1 alone, with cross-entropy: the second
# half of plan C. Every image gets the protocol's crop and flip; group-1
# images (ApplyByGroup) are also rotated by up to 15 degrees and sheared by
# up to 0.2, each half of the time: geometric changes that keep a garment's
# class, as the affine distortions of handwritten-digit training (Simard et
# al., ICDAR 2003). Pads are black, the background of both groups (the rare
# case's rotated images and the degraded case's low-contrast ones alike are
# not inverted).
_base_ = [
    './ce_resnet20_1xb128_fashion-mnist-group-lift.py',
    '../_base_/augment/group1_rotate_shear.py'
]
train_pipeline = [
    dict(type='StrictLoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=28, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ApplyByGroup', pipelines={1: _base_.group1_augment}, default=[]),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
