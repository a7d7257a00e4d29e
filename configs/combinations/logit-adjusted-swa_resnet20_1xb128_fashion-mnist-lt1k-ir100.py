# Logit-adjusted loss (Menon et al., ICLR 2021, tau=1) with stochastic
# weight averaging (Izmailov et al., UAI 2018) over the last quarter of the
# schedule. Delta on configs/losses/logit-adjusted_*: mmlt's SWAHook.
# The weights after epochs 45, 46, ..., 59 (0-based; swa_start 0.75, one
# average per epoch as the paper) are averaged; from epoch 45 the lr goes
# from the cosine schedule's value to swa_lr = 0.01 over 5 epochs (cosine)
# and stays there; after the last epoch the averaged model's BatchNorm
# statistics are recomputed on the training data (ResNet-20 has
# BatchNorm). swa_lr 0.01 with the initial lr 0.1: the authors' CIFAR-10
# setting for their ResNets (PreResNet, the official repository's README);
# untuned (a search may compare settings on the held-out validation split
# only). Validation, test and checkpoints use the averaged model.
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'
]
default_hooks = dict(
    swa=dict(
        type='SWAHook',
        swa_start=0.75,
        interval=1,
        swa_lr=0.01,
        anneal_epochs=5,
        anneal_strategy='cos',
        update_bn=True))
