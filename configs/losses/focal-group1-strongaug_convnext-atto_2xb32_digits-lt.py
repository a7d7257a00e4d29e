# Group plan 3, "focal + group-specific augmentation": softmax focal loss
# (Lin et al., ICCV 2017; gamma=2 as in the paper) and a stronger training
# augmentation for group 1 (on digits-LT the heavy-stroke quarter of each
# class) than for group 0, which keeps the demo's pipeline (no augmentation).
# Group 1's augmentations are geometric and keep a digit's identity, as the
# affine distortions of handwritten-digit training (Simard et al., ICDAR
# 2003); no flips (a mirrored digit is another symbol). Pads are black, the
# scans' background. The 8x8 scans are resized to 32x32 first, so a 4-pixel
# shift is one pixel of the scan.
_base_ = ['../lt/convnext_focal.py']
model = dict(
    head=dict(
        loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
group1_augment = [
    # shift by up to 4 pixels (He et al. 2016's CIFAR crop)
    dict(type='RandomCrop', crop_size=32, padding=4, pad_val=0),
    # rotate by up to 15 degrees either way, half of the time
    dict(
        type='Rotate',
        magnitude_range=(0, 15),
        # uniform in the range (MMPretrain's default is always its end)
        magnitude_std='inf',
        prob=0.5,
        pad_val=0,
        interpolation='bilinear'),
    # shear by up to 0.2 either way, half of the time
    dict(
        type='Shear',
        magnitude_range=(0, 0.2),
        # uniform in the range (MMPretrain's default is always its end)
        magnitude_std='inf',
        prob=0.5,
        pad_val=0,
        interpolation='bilinear'),
]
train_pipeline = [
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='ApplyByGroup', pipelines={1: group1_augment}, default=[]),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
