# Deferred re-sampling with CAM-based balance-sampling (Zhang et al., AAAI
# 2021), stage 1 of 2, CIFAR-10-LT (IR 100), the paper's ResNet-32: the
# first 160 epochs of the 200-epoch CIFAR-LT schedule (instance sampling,
# cross-entropy, lr 0.1 after the warm-up: the decays at epochs 160 and 180
# belong to stage 2), as the official first_stage config
# (configs/cao_cifar/two_stage/drs/cam_based_sampling/first_stage/
# cifar10_im100.yaml of zhangyongshun/BagofTricks-LT, MAX_EPOCH 160).
# Commands: drs-cam_resnet32_1xb128_cifar10-lt-ir100.py
_base_ = ['../baselines/resnet32_ce_1xb128_cifar10-lt-ir100.py']
train_cfg = dict(max_epochs=160, val_interval=20)
