# Cross-entropy with deferred re-weighting (Cao et al., NeurIPS 2019):
# class-balanced weights (beta=0.9999) from 80% of training.
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
default_hooks = dict(
    drw=dict(type='DeferredReweightingHook', start_epoch=0.8, beta=0.9999),
)
