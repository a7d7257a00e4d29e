# Fashion-MNIST-LT of mmlt's benchmark protocol (docs/benchmarks.md): the
# CIFAR-LT exponential profile with imbalance ratio 100 and 1,000 images for
# the head class (seed 0): 1000, 599, 359, 215, 129, 77, 46, 27, 16, 10
# images, 2,478 in all, so every shot bin holds classes (many > 100: 5,
# medium: 3, few < 20: 2). Images stay 28x28 (the CIFAR ResNets pool
# globally). Validation: 100 images per class held out from the training
# images the long-tailed subset does not use (ImageNet-LT's way of drawing a
# balanced validation set), so nothing is tuned on the test set; test: the
# balanced 10,000-image test set.
#
# data_root must hold the four idx files without .gz: on Debian,
# `apt-get install dataset-fashion-mnist`, then
# `python tools/dataset/prepare_fashion_mnist.py`.
dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist'
data_preprocessor = dict(
    num_classes=10,
    # one grey channel; mean/std of the 60,000 training images
    mean=[72.94],
    std=[90.02],
    to_rgb=False)

# the CIFAR-LT papers' augmentation: a random crop of the 4-pixel padded
# image and a horizontal flip
train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_pipeline = [dict(type='PackInputs', algorithm_keys=['group_id'])]

# the long-tailed draw, shared by the training set and the held-out split
long_tail = dict(imbalance_ratio=100, profile='exp', max_count=1000, seed=0)

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    dataset=dict(
        type='LongTailDataset',
        **long_tail,
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
        type='LongTailDataset',
        **long_tail,
        split='held_out',
        held_out_per_class=100,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            test_mode=False,
            pipeline=test_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LongTailMetric', topk=(1, 5))
test_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        # MMPretrain picks the files by test_mode; split='test' says so and
        # spares the 'split="train" but test_mode=True' warning
        split='test',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(
    type='LongTailMetric',
    topk=(1, 5),
    save_per_class=True,
    save_confusion_matrix=True)
