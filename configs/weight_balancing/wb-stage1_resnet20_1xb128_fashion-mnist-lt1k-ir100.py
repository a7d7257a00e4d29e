# Weight balancing (Alshammari et al., CVPR 2022), stage 1 of 2: the
# protocol's cross-entropy run with a larger weight decay, which keeps the
# per-class classifier norms (and the features) from growing with the class
# size. The only change against
# configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py is the
# weight decay, 5e-4 instead of 2e-4 (lr x weight decay 5e-5, the paper's
# CIFAR-LT product: lr 0.01, weight decay 5e-3); the value is the one the
# held-out validation split chose (configs/weight_balancing/README.md).
#
#   python tools/train.py configs/weight_balancing/wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
