# Fashion-MNIST-LT with two groups, the data of the group-lift benchmark
# (configs/group_lift/README.md), written as PNGs and CSVs by
#   python tools/dataset/make_group_lift_data.py --case degraded \
#       --out-dir data/group_lift_degraded
# (or --case rare --out-dir data/group_lift_rare; Fashion-MNIST unpacked by
# tools/dataset/prepare_fashion_mnist.py first). The images are those of the
# benchmark protocol (fashion_mnist_lt1k_bs128.py): training = the
# long-tailed subset (IR 100, n_max 1,000, 2,478 images) with a seeded
# share of each class in group 1, stored in group 1's style (rare: rotated
# by 90 degrees; degraded: low contrast, blur, noise); validation = the 1,000
# held-out images, test = the 10,000 test images, each of them twice: as
# group 0 (as is) and as group 1 (styled), so long_tail/group0_accuracy and
# long_tail/group1_accuracy are measured on the same images.
#
# `data_root` below is the degraded case; the benchmark sets the rare case's
# folder with --cfg-options {train,val,test}_dataloader.dataset.data_root=...
dataset_type = 'GroupAnnotationDataset'
data_root = 'data/group_lift_degraded'
data_preprocessor = dict(
    num_classes=10,
    # one grey channel; mean/std of the 60,000 Fashion-MNIST training images
    # (the protocol's normalisation, the same for every case)
    mean=[72.94],
    std=[90.02],
    to_rgb=False)

# the protocol's augmentation (a random crop of the 4-pixel padded image and
# a horizontal flip) on the grey 28x28 PNGs
train_pipeline = [
    dict(type='StrictLoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=28, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_pipeline = [
    dict(type='StrictLoadImageFromFile', color_type='grayscale'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]

_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix='images',
    classes='classes.txt')
train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(**_dataset, ann_file='train.csv', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        **_dataset, ann_file='val.csv', test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LongTailMetric', topk=(1, 5))
test_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        **_dataset, ann_file='test.csv', test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(
    type='LongTailMetric',
    topk=(1, 5),
    save_per_class=True,
    save_confusion_matrix=True)
