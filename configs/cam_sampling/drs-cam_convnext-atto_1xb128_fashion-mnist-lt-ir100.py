# Deferred re-sampling with CAM-based balance-sampling (Zhang et al., "Bag of
# Tricks for Long-Tailed Visual Recognition with Deep Convolutional Neural
# Networks", AAAI 2021), stage 2 of 2, Fashion-MNIST-LT (IR 100).
#
# Stage 1 is DRS's first phase (instance sampling, cross-entropy); this
# stage is its deferred phase: starting from the stage-1 weights, the
# training set is the long-tailed set plus the images generated from it by
# CAM-based sampling, drawn class-balanced from the first epoch on.
#
#   1. train stage 1:
#      python tools/train.py configs/baselines/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py \
#          --work-dir work_dirs/cam_sampling/ce_fashion-mnist-lt
#   2. generate the CAM images with the stage-1 model (ConvNeXt-atto's last
#      feature map is 1x1 on 32x32 inputs, so the CAM is taken at stage 0,
#      8x8, gradient-weighted; see mmlt/cam/activation_maps.py):
#      python tools/dataset/generate_cam_samples.py \
#          configs/baselines/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py \
#          work_dirs/cam_sampling/ce_fashion-mnist-lt/epoch_30.pth \
#          --out-dir data/fashion_mnist_lt_cam --cam-layer backbone.stages.0
#   3. train stage 2 (this config):
#      python tools/train.py configs/cam_sampling/drs-cam_convnext-atto_1xb128_fashion-mnist-lt-ir100.py \
#          --work-dir work_dirs/cam_sampling/drs-cam_fashion-mnist-lt \
#          --cfg-options load_from=work_dirs/cam_sampling/ce_fashion-mnist-lt/epoch_30.pth \
#          train_dataloader.dataset.datasets.1.data_root=data/fashion_mnist_lt_cam
#
# The two keys of step 3 are the only paths to override: the stage-1
# checkpoint (load_from) and the folder of generated images
# (train_dataloader.dataset.datasets.1.data_root; it holds cam_samples.csv
# and images/).
_base_ = [
    '../baselines/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py',
    '../_base_/two_stage/drs_cam.py'
]

load_from = 'work_dirs/cam_sampling/ce_fashion-mnist-lt/epoch_30.pth'

# The generated PNGs hold the one-channel 28x28 arrays of Fashion-MNIST:
# read as grayscale, they go through the same training pipeline as the
# long-tailed set (configs/_base_/datasets/fashion_mnist_lt_bs128.py).
cam_train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='RandomCrop', crop_size=32, padding=4),
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

# The deferred phase is short and starts from trained weights: 6 epochs
# (20% of stage 1's 30, as configs/samplers/drs_*), no warm-up, a tenth
# of stage 1's learning rate (about stage 1's cosine learning rate at 80% of
# its schedule, where single-run DRS switches) decayed to 1e-5. Our choice:
# the paper's deferred phase keeps the decayed learning rate of its
# step schedule.
optim_wrapper = dict(optimizer=dict(lr=4e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, eta_min=1e-5)
]
train_cfg = dict(max_epochs=6, val_interval=3)
