# Deferred re-sampling with CAM-based balance-sampling (Zhang et al., "Bag of
# Tricks for Long-Tailed Visual Recognition with Deep Convolutional Neural
# Networks", AAAI 2021), stage 2 of 2, CIFAR-10-LT (IR 100), ResNet-32: the
# last 40 epochs of the 200-epoch schedule, from the stage-1 weights, on the
# long-tailed set plus its CAM images, class-balanced; lr 1e-3, x0.01 after
# 20 epochs, as the official second_stage config (configs/cao_cifar/
# two_stage/drs/cam_based_sampling/second_stage/balance/cifar10_im100.yaml:
# MAX_EPOCH 40, BASE_LR 0.001, LR_STEP [20], LR_FACTOR 0.01). ResNet-32's
# last feature map is 8x8 on 32x32 images: the CAM of the paper, no
# --cam-layer needed.
#
#   1. python tools/train.py configs/cam_sampling/drs-cam-stage1_resnet32_1xb128_cifar10-lt-ir100.py \
#          --work-dir work_dirs/cam_sampling/resnet32_cifar10-lt
#   2. python tools/dataset/generate_cam_samples.py \
#          configs/cam_sampling/drs-cam-stage1_resnet32_1xb128_cifar10-lt-ir100.py \
#          work_dirs/cam_sampling/resnet32_cifar10-lt/epoch_160.pth \
#          --out-dir data/cifar10_lt_cam
#   3. python tools/train.py configs/cam_sampling/drs-cam_resnet32_1xb128_cifar10-lt-ir100.py \
#          --work-dir work_dirs/cam_sampling/drs-cam_cifar10-lt \
#          --cfg-options load_from=work_dirs/cam_sampling/resnet32_cifar10-lt/epoch_160.pth \
#          train_dataloader.dataset.datasets.1.data_root=data/cifar10_lt_cam
_base_ = [
    '../baselines/resnet32_ce_1xb128_cifar10-lt-ir100.py',
    '../_base_/two_stage/drs_cam.py'
]

load_from = 'work_dirs/cam_sampling/resnet32_cifar10-lt/epoch_160.pth'

# The PNGs hold CIFAR's arrays as they are (RGB order, written as if BGR):
# LoadImageFromFile reads back exactly those arrays (an image viewer shows
# red and blue swapped). Then the same training pipeline as the LT set
# (configs/_base_/datasets/cifar10_lt_bs128.py).
cam_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
# ConcatDataset needs the same class names (CIFAR10's metainfo)
cifar10_classes = [
    'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse',
    'ship', 'truck'
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
                data_root='data/cifar10_lt_cam',
                ann_file='cam_samples.csv',
                classes=cifar10_classes,
                pipeline=cam_train_pipeline),
        ]),
    sampler={{_base_.drs_cam_stage2.sampler}})
# the stage-2 block (configs/_base_/two_stage/drs_cam.py): class-balanced
# from the first epoch, class counts from the long-tailed set alone, a strict
# load of the stage-1 model
default_hooks = {{_base_.drs_cam_stage2.default_hooks}}
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[20], gamma=0.01)
]
train_cfg = dict(max_epochs=40, val_interval=10)
