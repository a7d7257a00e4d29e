# The group-lift data (fashion_mnist_group_lift_bs128.py: the same PNGs and
# CSVs, written by tools/dataset/make_group_lift_data.py; data_root is the
# degraded case, the benchmark sets the rare case's folder with
# --cfg-options {train,val,test}_dataloader.dataset.data_root=...) for
# fine-tuning an ImageNet-pretrained backbone, as
# fashion_mnist_lt1k_80x60_rgb_bs64.py serves Fashion-MNIST-LT: each 28x28
# grey PNG resized (bilinear) to 80x60 (width x height) and repeated into
# three equal channels, normalised with the ImageNet mean/std the pretrained
# weights expect; batch 64 (validation and test 128).
#
# The PNG is read as grey (one channel) and repeated by GreyToRGB after the
# resize. Read as colour (OpenCV's default) a grey PNG also gives three
# equal channels, but this way the pixels are those of
# fashion_mnist_lt1k_80x60_rgb_bs64.py (the grey image resized, then
# repeated), the resize works on one channel instead of three, and a colour
# PNG in the folder is refused (GreyToRGB takes grey images only) instead of
# being trained on unnoticed.
#
# Augmentation: the protocol's random crop of the padded image and
# horizontal flip, its 4 pixels of padding at 28x28 rescaled to 8 at 80x60
# (as fashion_mnist_lt1k_80x60_rgb_bs64.py). Group 1's stronger augmentation
# of plan C (../augment/group1_rotate_shear.py: rotation in degrees, shear
# as a ratio, black pads) has no size in pixels and applies at 80x60 as it
# is; a config adds it with ApplyByGroup before PackInputs.
_base_ = ['./fashion_mnist_group_lift_bs128.py']
img_scale = (80, 60)  # (width, height)
data_preprocessor = dict(
    num_classes=10,
    # ImageNet statistics (RGB), as the pretrained weights expect
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False)

train_pipeline = [
    dict(type='StrictLoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=img_scale, interpolation='bilinear'),
    dict(type='GreyToRGB'),
    dict(type='RandomCrop', crop_size=(60, 80), padding=8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_pipeline = [
    dict(type='StrictLoadImageFromFile', color_type='grayscale'),
    dict(type='Resize', scale=img_scale, interpolation='bilinear'),
    dict(type='GreyToRGB'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
