# Deferred re-sampling (DRS; Cao et al. NeurIPS 2019): instance sampling,
# then class-balanced for the last 20% of the epochs (LDAM-DRW defers at
# epoch 160 of 200).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
train_dataloader = dict(
    sampler=dict(_delete_=True, type='RebalancedSampler', strategy='instance'))
default_hooks = dict(
    # the last 20%
    deferred_resampling=dict(
        type='DeferredResamplingHook', switch_epoch=0.8,
        strategy='class_balanced'),
)
