# LDAM-DRW (Cao et al., NeurIPS 2019): LDAM on the cosine classifier, then
# class-balanced weights (beta=0.9999) from 80% of training (the paper's
# epoch 160 of 200; a fraction, so a shortened schedule keeps it). The
# re-weighted loss is divided by the sum of the batch's class weights, as the
# authors' F.cross_entropy(weight=...) does (class_weight_norm='weight_sum').
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(
    head=dict(type='LTNormedLinearClsHead',
              loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0,
                        class_weight_norm='weight_sum')))
default_hooks = dict(
    drw=dict(type='DeferredReweightingHook', start_epoch=0.8, beta=0.9999),
)
