# Cost-sensitive cross-entropy: class weights ∝ 1/n_c (sum C); the loss is
# divided by the sum of the batch's class weights, as Bag-of-Tricks-LT's
# F.cross_entropy(weight=...) does (class_weight_norm='weight_sum').
# CIFAR-10-LT (IR 100); data: see configs/_base_/datasets/cifar10_lt_bs128.py.
_base_ = [
    '../../_base_/models/convnext_atto_lt.py',
    '../../_base_/datasets/cifar10_lt_bs128.py',
    '../../_base_/schedules/adamw_cosine_30e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    head=dict(num_classes=10,
              loss=dict(_delete_=True, type='CostSensitiveCELoss', power=1.0,
                        class_weight_norm='weight_sum')))
# lr of the schedule is for 64 images per iteration: scale to 128
optim_wrapper = dict(optimizer=dict(lr=4e-3))
