# V1 of the 44-class reference project: EfficientNet-B0 from ImageNet-1k
# weights, class-balanced re-sampling, flip + rotation + brightness, and the
# learning rate divided by 10 when the validation accuracy stalls.
# - Re-sampling: each training image drawn with probability proportional to
#   1 / (images of its class), with replacement, as many draws per epoch as
#   images (torch's WeightedRandomSampler with those weights):
#   RebalancedSampler(strategy='class_balanced'), which also shards itself
#   across processes.
# - Augmentation: horizontal flip (p 0.5), rotation by an angle drawn
#   uniformly from [-10, 10] degrees (black corners, as torchvision's
#   RandomRotation), brightness factor drawn from [0.8, 1.2].
# - ReduceLROnPlateau on the validation top-1 accuracy (factor 0.1,
#   patience 3; rule='greater': an accuracy), validated every epoch.
# - Not given by the reference project, our choice: AdamW (lr 1e-3, weight
#   decay 1e-2), 30 epochs, cross-entropy.
# Your data: configs/_base_/datasets/own_csv_60x80_bs32.py (data_root,
# num_classes). Commands: README.md.
_base_ = [
    '../_base_/models/efficientnet_b0_lt.py',
    '../_base_/datasets/own_csv_60x80_bs32.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))

train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='Resize', scale=(80, 60), interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='Rotate',
        magnitude_range=(0, 10),  # degrees
        magnitude_std='inf',  # uniform in [0, 10] ...
        random_negative_prob=0.5,  # ... either way
        prob=1.0,
        pad_val=0,
        interpolation='bilinear'),
    dict(type='ColorJitter', brightness=0.2),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
train_dataloader = dict(
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(
        _delete_=True, type='RebalancedSampler', strategy='class_balanced'))

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-2),
    clip_grad=None)
param_scheduler = [
    dict(
        type='ReduceOnPlateauLR',
        monitor='long_tail/top1',
        rule='greater',
        factor=0.1,
        patience=3,
        by_epoch=True),
]
train_cfg = dict(max_epochs=30, val_interval=1)
auto_scale_lr = dict(base_batch_size=32)
