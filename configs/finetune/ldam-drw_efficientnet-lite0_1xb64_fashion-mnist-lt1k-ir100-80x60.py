# LDAM-DRW (Cao et al., NeurIPS 2019): LDAM on the cosine classifier, then
# class-balanced weights (beta=0.9999) from 80% of training (epoch 16 of 20),
# the loss divided by the batch's class-weight sum as the authors' code.
# Fine-tuning protocol (docs/benchmarks.md, --protocol finetune): EfficientNet-Lite0
# from ImageNet-1k weights on Fashion-MNIST-LT (IR 100) at 80x60; the same
# method block as its ResNet-20 config in configs/losses/.
_base_ = ['../baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py']
model = dict(
    head=dict(type='LTNormedLinearClsHead',
              loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0,
                        class_weight_norm='weight_sum')))
default_hooks = dict(
    drw=dict(type='DeferredReweightingHook', start_epoch=0.8, beta=0.9999),
)
