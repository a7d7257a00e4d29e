# The oracle (configs/baselines/resnet20_ce_1xb128_fashion-mnist-
# balanced248.py) for 200 epochs, logit-adjusted-200e's schedule (the same
# 5 warm-up epochs, then the cosine runs to the end; validation every 5
# epochs, every epoch from 160): the balanced reference of that recipe
# (section recipe-oracles of docs/benchmarks.md).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-balanced248.py']
train_cfg = dict(max_epochs=200, dynamic_intervals=[(160, 1)])
