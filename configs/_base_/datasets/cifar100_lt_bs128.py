# CIFAR-100-LT, imbalance ratio 100 (Cao et al. 2019 protocol: exponential
# profile, 500 images for the head class, seed 0; 10,847 training images).
# Download CIFAR-100 into data_root (MMPretrain's CIFAR100 does it with
# download=True on a machine with internet access); the test set stays the
# balanced 10,000 images.
dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_pipeline = [dict(type='PackInputs', algorithm_keys=['group_id'])]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    dataset=dict(
        type='LongTailDataset',
        imbalance_ratio=100,
        profile='exp',
        seed=0,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            download=True,
            pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        download=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LongTailMetric', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = dict(
    type='LongTailMetric',
    topk=(1, 5),
    save_per_class=True,
    save_confusion_matrix=True)
