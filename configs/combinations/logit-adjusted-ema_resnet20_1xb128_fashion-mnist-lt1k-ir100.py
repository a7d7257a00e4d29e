# Logit-adjusted loss (Menon et al., ICLR 2021, tau=1) with an exponential
# moving average of the weights (Polyak & Juditsky 1992; MMEngine's EMAHook
# with ExponentialMovingAverage). Delta on configs/losses/logit-adjusted_*:
# the EMA hook. Each iteration the average moves towards the weights by
# momentum 0.01 (decay 0.99), BatchNorm statistics averaged too (as timm's
# ModelEmaV2). Our choice for this protocol, untuned (a search may compare
# momenta on the held-out validation split only): 60 epochs of 2,478 images
# in batches of 128 are 1,200 iterations, so 0.01 averages about the last
# 100 (5 epochs) and keeps 0.99^1200 < 1e-5 of the initial weights;
# MMEngine's default 2e-4 would keep 79% of the random initial weights.
# Validation, test and checkpoints use the EMA model. In default_hooks, so
# that a child's custom_hooks keeps it; not with SWAHook.
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'
]
default_hooks = dict(
    ema=dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=0.01,
        update_buffers=True,
        priority='ABOVE_NORMAL'))
