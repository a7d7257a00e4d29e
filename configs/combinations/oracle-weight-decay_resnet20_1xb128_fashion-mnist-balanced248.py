# The oracle (cross-entropy on the balanced draw of 248 images per class)
# with weight balancing's stage-1 weight decay, 5e-4 instead of 2e-4
# (configs/weight_balancing/wb-stage1_*): what the larger weight decay gives
# balanced data, against which the long-tailed rows with it are measured
# (docs/benchmarks.md, section recipe-oracles).
_base_ = [
    '../baselines/resnet20_ce_1xb128_fashion-mnist-balanced248.py',
]
optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
