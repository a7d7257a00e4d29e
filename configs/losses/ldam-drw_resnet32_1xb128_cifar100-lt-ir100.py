# LDAM-DRW as in its CIFAR experiments (Cao et al., NeurIPS 2019): ResNet-32,
# LDAM (max_m=0.5, s=30) on the normalised (cosine) classifier, plain
# training until epoch 160 (0-based) of 200, then class-balanced weights
# (Cui et al. 2019, beta=0.9999); the paper's SGD schedule. The re-weighted
# loss is divided by the sum of the batch's class weights, as the authors'
# F.cross_entropy(weight=...) does (class_weight_norm='weight_sum').
# On the cross-entropy baseline resnet32_ce_1xb128_cifar100-lt-ir100.py; data:
# see configs/_base_/datasets/cifar100_lt_bs128.py (data_root, download).
_base_ = ['../baselines/resnet32_ce_1xb128_cifar100-lt-ir100.py']
model = dict(
    head=dict(type='LTNormedLinearClsHead',
              loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0,
                        class_weight_norm='weight_sum')))
default_hooks = dict(
    drw=dict(type='DeferredReweightingHook', start_epoch=160, beta=0.9999),
)
