# Deferred re-sampling with CAM-based balance-sampling (Zhang et al., "Bag of
# Tricks for Long-Tailed Visual Recognition with Deep Convolutional Neural
# Networks", AAAI 2021), stage 2 of 2, Fashion-MNIST-LT (IR 100).
#
# Stage 1 is DRS's first phase (instance sampling, cross-entropy); this
# stage is its deferred phase: starting from the stage-1 weights, the
# training set is the long-tailed set plus the images generated from it by
# CAM-based sampling, drawn class-balanced from the first epoch on.
#
#   1. train stage 1 (the cross-entropy baseline, 60 epochs):
#      python tools/train.py configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py \
#          --work-dir work_dirs/cam_sampling/ce_fashion-mnist-lt
#   2. generate the CAM images with the stage-1 model (ResNet-20's last
#      feature map is 7x7 on the 28x28 images: the CAM of the paper):
#      python tools/dataset/generate_cam_samples.py \
#          configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py \
#          work_dirs/cam_sampling/ce_fashion-mnist-lt/epoch_60.pth \
#          --out-dir data/fashion_mnist_lt_cam
#   3. train stage 2 (this config):
#      python tools/train.py configs/cam_sampling/drs-cam_resnet20_1xb128_fashion-mnist-lt1k-ir100.py \
#          --work-dir work_dirs/cam_sampling/drs-cam_fashion-mnist-lt \
#          --cfg-options load_from=work_dirs/cam_sampling/ce_fashion-mnist-lt/epoch_60.pth \
#          train_dataloader.dataset.datasets.1.data_root=data/fashion_mnist_lt_cam
#
# The two keys of step 3 are the only paths to override: the stage-1
# checkpoint (load_from) and the folder of generated images
# (train_dataloader.dataset.datasets.1.data_root; it holds cam_samples.csv
# and images/).
_base_ = [
    '../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/two_stage/drs_cam.py'
]

load_from = 'work_dirs/cam_sampling/ce_fashion-mnist-lt/epoch_60.pth'

# The generated PNGs hold the one-channel 28x28 arrays of Fashion-MNIST:
# read as grayscale, they go through the same training pipeline as the
# long-tailed set (configs/_base_/datasets/fashion_mnist_lt1k_bs128.py).
cam_train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=28, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
# ConcatDataset needs the same class names (FashionMNIST's metainfo)
fashion_mnist_classes = [
    'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
    'Sneaker', 'Bag', 'Ankle boot'
]
lt_train_dataset = {{_base_.train_dataloader.dataset}}
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            lt_train_dataset,
            dict(
                type='GroupAnnotationDataset',
                data_root='data/fashion_mnist_lt_cam',
                ann_file='cam_samples.csv',
                classes=fashion_mnist_classes,
                pipeline=cam_train_pipeline),
        ]),
    sampler={{_base_.drs_cam_stage2.sampler}})
# the stage-2 block (configs/_base_/two_stage/drs_cam.py): class-balanced
# from the first epoch, class counts from the long-tailed set alone, a strict
# load of the stage-1 model
default_hooks = {{_base_.drs_cam_stage2.default_hooks}}

# The deferred phase as the official second stage, re-timed to the
# protocol: 12 epochs (a fifth of stage 1's 60, as the official 40 after
# 160), lr 1e-3 multiplied by 0.01 half-way (official: BASE_LR 0.001,
# LR_STEP [20] of 40, LR_FACTOR 0.01), no warm-up. Stage 1 here is the whole
# 60-epoch cross-entropy run (its lr decayed to 0), not the first 80% of
# one schedule as in the official code: the baseline's checkpoint is reused.
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[6], gamma=0.01)
]
train_cfg = dict(max_epochs=12, val_interval=6)
