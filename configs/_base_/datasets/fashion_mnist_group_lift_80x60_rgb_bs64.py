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
# The steps after loading are grey_to_rgb_80x60.py's, as
# fashion_mnist_lt1k_80x60_rgb_bs64.py's. Augmentation: the protocol's
# random crop of the padded image and horizontal flip, its 4 pixels of
# padding at 28x28 rescaled to 8 at 80x60. Group 1's stronger augmentation
# of plan C (../augment/group1_rotate_shear.py: rotation in degrees, shear
# as a ratio, black pads) has no size in pixels and applies at 80x60 as it
# is; a config adds it with ApplyByGroup before PackInputs.
_base_ = ['./fashion_mnist_group_lift_bs128.py', './grey_to_rgb_80x60.py']
img_scale = _base_.grey_80x60_rgb.img_scale  # (width, height)
data_preprocessor = _base_.grey_80x60_rgb.data_preprocessor
train_pipeline = [
    dict(type='StrictLoadImageFromFile', color_type='grayscale'),
    *_base_.grey_80x60_rgb.train,
]
test_pipeline = [
    dict(type='StrictLoadImageFromFile', color_type='grayscale'),
    *_base_.grey_80x60_rgb.test,
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
