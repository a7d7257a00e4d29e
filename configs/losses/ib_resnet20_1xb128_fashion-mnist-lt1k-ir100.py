# Influence-balanced loss (Park et al., ICCV 2021), alpha=1000, after a
# cross-entropy warm start over the first half of training (the paper's
# 100 of 200 epochs; a fraction, so a shortened schedule keeps it) and, from
# then on, 0.01 of the schedule's learning rate (IBWarmStartHook's
# lr_factor, as the authors' code).
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='InfluenceBalancedLoss', alpha=1000.0)))
default_hooks = dict(
    ib_warm_start=dict(type='IBWarmStartHook', start_epoch=0.5),
)
