# LDAM-DRW (Cao et al., NeurIPS 2019): LDAM on the cosine classifier, then
# class-balanced weights (beta=0.9999) from 80% of training (the paper's
# epoch 160 of 200; a fraction, so a shortened schedule keeps it).
# Fashion-MNIST-LT (IR 100).
_base_ = ['../convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py']
model = dict(
    head=dict(type='LTNormedLinearClsHead',
              loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0)))
default_hooks = dict(
    drw=dict(type='DeferredReweightingHook', start_epoch=0.8, beta=0.9999),
)
