# The protocol's training pipeline (configs/_base_/datasets/
# fashion_mnist_lt1k_bs128.py: padded random crop, horizontal flip) followed
# by MMPretrain's AutoAugment (Cubuk et al., "AutoAugment: Learning
# Augmentation Strategies from Data", CVPR 2019) with its one preset, the
# ImageNet policy, unchanged. The CIFAR-LT papers that use AutoAugment
# (PaCo, ProCo) use the CIFAR-10 policy, which MMPretrain does not ship;
# the ImageNet policy searched for natural colour images is an untuned
# stand-in here, not a value picked for Fashion-MNIST (a choice among
# policies may compare them on the held-out validation split only). Pads
# are black (pad_val 0), as the crop's padding and Fashion-MNIST's
# background; mmlt makes AutoAugment honour its hparams, which MMPretrain
# 1.2 dropped (mmlt/utils/autoaugment_compat.py).
#
# Its Equalize, AutoContrast, Contrast and ColorTransform need three
# channels: GreyAsRGB runs the policy on the 28x28 grey image repeated into
# three equal channels and keeps one. A config inherits this fragment and
# sets
#   train_dataloader = dict(dataset=dict(dataset=dict(
#       pipeline={{_base_.autoaugment_train_pipeline}})))
autoaugment_train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='GreyAsRGB',
        transforms=[
            dict(
                type='AutoAugment',
                policies='imagenet',
                hparams=dict(pad_val=0)),
        ]),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
