# LDAM-DRW (Cao et al., NeurIPS 2019) with
# AutoAugment (Cubuk et al., CVPR 2019; MMPretrain's
# ImageNet policy, untuned)
# on the 28x28 grey images. Delta on configs/losses/ldam-drw_*: the
# training pipeline of configs/_base_/augment/fashion_mnist_autoaugment.py
# (the protocol's crop and flip, then the policy through GreyAsRGB).
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/ldam-drw_resnet20_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/augment/fashion_mnist_autoaugment.py'
]
train_dataloader = dict(dataset=dict(dataset=dict(
    pipeline={{_base_.autoaugment_train_pipeline}})))
