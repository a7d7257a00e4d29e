# The oracle (configs/baselines/resnet20_ce_1xb128_fashion-mnist-
# balanced248.py) with logit-adjusted-swa's weight averaging (the same
# SWAHook settings: averaging from 75% of training at a constant lr 0.01
# after a 5-epoch cosine anneal, BatchNorm statistics recomputed; the
# averaged model validated, saved and tested): the balanced reference of
# that recipe (section recipe-oracles of docs/benchmarks.md).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-balanced248.py']
default_hooks = dict(
    swa=dict(
        type='SWAHook',
        swa_start=0.75,
        interval=1,
        swa_lr=0.01,
        anneal_epochs=5,
        anneal_strategy='cos',
        update_bn=True))
