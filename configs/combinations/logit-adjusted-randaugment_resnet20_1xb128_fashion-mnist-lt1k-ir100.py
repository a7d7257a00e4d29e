# Logit-adjusted loss (Menon et al., ICLR 2021, tau=1) with
# RandAugment (Cubuk et al., NeurIPS Workshops 2020; timm's
# 'rand-m9-mstd0.5' as MMPretrain's ImageNet configs set it, untuned)
# on the 28x28 grey images. Delta on configs/losses/logit-adjusted_*: the
# training pipeline of configs/_base_/augment/fashion_mnist_randaugment.py
# (the protocol's crop and flip, then the policy through GreyAsRGB).
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/augment/fashion_mnist_randaugment.py'
]
train_dataloader = dict(dataset=dict(dataset=dict(
    pipeline={{_base_.randaugment_train_pipeline}})))
