# Deferred re-sampling (DRS; Cao et al. NeurIPS 2019): instance sampling,
# then class-balanced for the last 20% of the epochs.
# Fine-tuning protocol (docs/benchmarks.md, --protocol finetune): EfficientNet-Lite0
# from ImageNet-1k weights on Fashion-MNIST-LT (IR 100) at 80x60; the same
# method block as its ResNet-20 config in configs/samplers/.
_base_ = ['../baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py']
train_dataloader = dict(
    sampler=dict(_delete_=True, type='RebalancedSampler', strategy='instance'))
default_hooks = dict(
    deferred_resampling=dict(
        type='DeferredResamplingHook', switch_epoch=0.8,
        strategy='class_balanced'),
)
