# The oracle (configs/baselines/resnet20_ce_1xb128_fashion-mnist-
# balanced248.py) with logit-adjusted-ema's exponential moving average of
# the weights (momentum 0.01, buffers averaged too; the averaged weights
# are validated, saved and tested): the balanced reference of that recipe
# (section recipe-oracles of docs/benchmarks.md).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-balanced248.py']
default_hooks = dict(
    ema=dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=0.01,
        update_buffers=True,
        priority='ABOVE_NORMAL'))
