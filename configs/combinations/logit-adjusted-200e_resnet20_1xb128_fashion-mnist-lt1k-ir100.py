# Logit-adjusted loss (Menon et al., ICLR 2021, tau=1) for 200 epochs, the
# CIFAR-LT papers' schedule length (LDAM-DRW, Cao et al., NeurIPS 2019; the
# logit-adjustment paper's CIFAR-LT runs), instead of the protocol's 60.
# Delta on configs/losses/logit-adjusted_*: train_cfg.max_epochs. The
# schedule keeps its shape (5 warm-up epochs, then the cosine runs to the
# end), and validation is every epoch over the last fifth (from epoch 160),
# as the 100-epoch control of cross-entropy, for the convergence criterion.
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'
]
train_cfg = dict(max_epochs=200, dynamic_intervals=[(160, 1)])
