# The protocol's training pipeline (configs/_base_/datasets/
# fashion_mnist_lt1k_bs128.py: padded random crop, horizontal flip) followed
# by MMPretrain's RandAugment (Cubuk et al., "RandAugment: Practical
# automated data augmentation with a reduced search space", NeurIPS
# Workshops 2020) with timm's increasing-magnitude policy set in the setting
# of MMPretrain's ImageNet configs, timm's 'rand-m9-mstd0.5' (two operations
# per image, magnitude 9 of 10 with a standard deviation of 0.5). Untuned:
# the library's setting; a magnitude search may compare settings on the
# held-out validation split only, never the test set. Pads are black
# (pad_val 0), as the crop's padding and Fashion-MNIST's background.
#
# Four of the policy's operations (AutoContrast, Equalize, Contrast,
# ColorTransform) need three channels: GreyAsRGB runs the policy on the
# 28x28 grey image repeated into three equal channels and keeps one
# (tests/test_datasets/test_transforms/test_grey_as_rgb.py). A config
# inherits this fragment and sets
#   train_dataloader = dict(dataset=dict(dataset=dict(
#       pipeline={{_base_.randaugment_train_pipeline}})))
randaugment_train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='GreyAsRGB',
        transforms=[
            dict(
                type='RandAugment',
                policies='timm_increasing',
                num_policies=2,
                total_level=10,
                magnitude_level=9,
                magnitude_std=0.5,
                hparams=dict(pad_val=0)),
        ]),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
