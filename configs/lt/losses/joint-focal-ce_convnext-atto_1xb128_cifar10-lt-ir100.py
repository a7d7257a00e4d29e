# Softmax focal loss + cross-entropy, weights 1 and 1 (the Products-10K
# winning solution's weights are not published in a source we could check).
# CIFAR-10-LT (IR 100); data: see configs/_base_/datasets/cifar10_lt_bs128.py.
_base_ = [
    '../../_base_/models/convnext_atto_lt.py',
    '../../_base_/datasets/cifar10_lt_bs128.py',
    '../../_base_/schedules/adamw_cosine_30e.py',
    '../../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10,
                       loss=dict(_delete_=True,
                                 type='JointFocalCELoss',
                                 gamma=2.0,
                                 focal_weight=1.0,
                                 ce_weight=1.0)))
# lr of the schedule is for 64 images per iteration: scale to 128
optim_wrapper = dict(optimizer=dict(lr=4e-3))
