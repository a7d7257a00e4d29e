# Group plan C of the 44-class reference project: focal loss and a stronger
# augmentation for group 1 (the group_id column of the CSVs), on V1
# (EfficientNet-B0, class-balanced re-sampling, plateau lr).
# - Loss: softmax focal loss, gamma 2 (Lin et al., ICCV 2017), no alpha.
# - Augmentation: every image gets V1's flip, rotation (up to 10 degrees)
#   and brightness jitter (0.2); group-1 images (ApplyByGroup) are also
#   rotated by up to 15 more degrees and sheared by up to 0.2 (each half of
#   the time, amounts uniform), and jittered in brightness and contrast by
#   0.3: more varied views of the group the model sees least or finds
#   hardest. For another group, change the key 1.
_base_ = [
    './v1-cb-resample-plateau_efficientnet-b0_1xb32_own-csv.py',
    '../_base_/augment/group1_rotate_shear.py'
]
model = dict(
    head=dict(loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
group1_augment = [
    # the shared rotation and shear (configs/_base_/augment/), with
    # random_negative_prob written out as this recipe always had it
    *[dict(t, random_negative_prob=0.5) for t in _base_.group1_augment],
    dict(type='ColorJitter', brightness=0.3, contrast=0.3),
]
train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='Resize', scale=(80, 60), interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='Rotate',
        magnitude_range=(0, 10),
        magnitude_std='inf',
        random_negative_prob=0.5,
        prob=1.0,
        pad_val=0,
        interpolation='bilinear'),
    dict(type='ColorJitter', brightness=0.2),
    dict(type='ApplyByGroup', pipelines={1: group1_augment}, default=[]),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
