# Fashion-MNIST-LT, imbalance ratio 100 (exponential profile, 6,000 images
# for the head class, seed 0). data_root must hold the four idx files
# without .gz: on Debian, `apt-get install dataset-fashion-mnist` and
# gunzip /usr/share/datasets/fashion-mnist/*.gz into data_root
# (tools/dataset/prepare_fashion_mnist.py does it). The test set stays the
# balanced 10,000 images.
dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist'
data_preprocessor = dict(
    num_classes=10,
    # one grey channel; mean/std of the 60,000 training images
    mean=[72.94],
    std=[90.02],
    to_rgb=False)

# 28x28 images are resized to 32x32: ConvNeXt's stem and three 2x
# downsamplings need a side divisible by 32.
train_pipeline = [
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_pipeline = [
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]

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
            test_mode=False,
            pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        test_mode=True,
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
