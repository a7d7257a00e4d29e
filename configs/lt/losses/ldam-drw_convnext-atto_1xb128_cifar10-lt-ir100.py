# LDAM-DRW (Cao et al., NeurIPS 2019): LDAM on the cosine classifier, then
# class-balanced weights (beta=0.9999) from 80% of training (the paper's
# epoch 160 of 200; a fraction, so a shortened schedule keeps it). The
# re-weighted loss is divided by the sum of the batch's class weights, as the
# authors' F.cross_entropy(weight=...) does (class_weight_norm='weight_sum').
# CIFAR-10-LT (IR 100); data: see configs/_base_/datasets/cifar10_lt_bs128.py.
_base_ = [
    '../../_base_/models/convnext_atto_lt.py',
    '../../_base_/datasets/cifar10_lt_bs128.py',
    '../../_base_/schedules/adamw_cosine_30e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    head=dict(num_classes=10,
              type='LTNormedLinearClsHead',
              loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0,
                        class_weight_norm='weight_sum')))
default_hooks = dict(
    drw=dict(type='DeferredReweightingHook', start_epoch=0.8, beta=0.9999),
)
# lr of the schedule is for 64 images per iteration: scale to 128
optim_wrapper = dict(optimizer=dict(lr=4e-3))
