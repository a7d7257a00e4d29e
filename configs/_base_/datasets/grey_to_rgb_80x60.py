# The fine-tuning protocol's image steps for 28x28 grey Fashion-MNIST
# images, shared by fashion_mnist_lt1k_80x60_rgb_bs64.py and
# fashion_mnist_group_lift_80x60_rgb_bs64.py (not a data base on its own:
# it names no dataset). Each grey image is resized (bilinear) to 80x60
# (width x height) and repeated into three equal channels (GreyToRGB),
# normalised with the ImageNet mean/std the pretrained weights expect.
# Augmentation: the protocol's random crop of the padded image (8 pixels
# of padding at 80x60, about the protocol's 4 of 28) and horizontal flip.
#
# A data base reads the steps after its own loading step:
#   _base_ = ['./<data>.py', './grey_to_rgb_80x60.py']
#   data_preprocessor = _base_.grey_80x60_rgb.data_preprocessor
#   train_pipeline = [<load>] + _base_.grey_80x60_rgb.train
#   test_pipeline = [<load>] + _base_.grey_80x60_rgb.test
grey_80x60_rgb = dict(
    img_scale=(80, 60),  # (width, height)
    data_preprocessor=dict(
        num_classes=10,
        # ImageNet statistics (RGB), as the pretrained weights expect
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=False),
    train=[
        dict(type='Resize', scale=(80, 60), interpolation='bilinear'),
        dict(type='GreyToRGB'),
        dict(type='RandomCrop', crop_size=(60, 80), padding=8),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs', algorithm_keys=['group_id']),
    ],
    test=[
        dict(type='Resize', scale=(80, 60), interpolation='bilinear'),
        dict(type='GreyToRGB'),
        dict(type='PackInputs', algorithm_keys=['group_id']),
    ])
