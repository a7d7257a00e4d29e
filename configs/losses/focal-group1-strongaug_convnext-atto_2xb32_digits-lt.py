# Group plan 3, "focal + group-specific augmentation": softmax focal loss
# (Lin et al., ICCV 2017; gamma=2 as in the paper) and a stronger training
# augmentation for group 1 (on digits-LT the heavy-stroke quarter of each
# class) than for group 0, which keeps the demo's pipeline (no augmentation).
# Group 1's augmentations are geometric and keep a digit's identity, as the
# affine distortions of handwritten-digit training (Simard et al., ICDAR
# 2003); no flips (a mirrored digit is another symbol). Pads are black, the
# scans' background. The 8x8 scans are resized to 32x32 first, so a 4-pixel
# shift is one pixel of the scan.
_base_ = [
    '../lt/convnext_focal.py', '../_base_/augment/group1_rotate_shear.py'
]
model = dict(
    head=dict(
        loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
group1_augment = [
    # shift by up to 4 pixels (He et al. 2016's CIFAR crop)
    dict(type='RandomCrop', crop_size=32, padding=4, pad_val=0),
    # then the shared rotation and shear (configs/_base_/augment/)
    *_base_.group1_augment,
]
train_pipeline = [
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='ApplyByGroup', pipelines={1: group1_augment}, default=[]),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
