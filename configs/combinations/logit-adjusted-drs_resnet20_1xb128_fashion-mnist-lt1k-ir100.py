# Logit-adjusted loss (Menon et al., ICLR 2021, tau=1) with deferred
# re-sampling (DRS; Cao et al., NeurIPS 2019): instance sampling, then
# class-balanced for the last 20% of the epochs (LDAM-DRW defers at epoch
# 160 of 200). Delta on configs/losses/logit-adjusted_*: the sampler block
# of configs/samplers/drs_*.
# The combination as named, not a corrected one: after the switch the
# batches are balanced while the loss still adds log(pi) of the long-tailed
# counts, so the prior is corrected twice in that phase (the over-balance
# Ren et al., NeurIPS 2020, sec. 3.3, report for balanced softmax with
# class-balanced sampling). The row measures what it costs or buys.
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'
]
train_dataloader = dict(
    sampler=dict(_delete_=True, type='RebalancedSampler', strategy='instance'))
default_hooks = dict(
    # the last 20%
    deferred_resampling=dict(
        type='DeferredResamplingHook', switch_epoch=0.8,
        strategy='class_balanced'),
)
