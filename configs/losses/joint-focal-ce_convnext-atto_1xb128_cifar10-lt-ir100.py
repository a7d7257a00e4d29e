# Softmax focal loss + cross-entropy, weights 1 and 1 (the Products-10K
# winning solution's weights are not published in a source we could check).
# CIFAR-10-LT (IR 100), on the cross-entropy baseline.
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(head=dict(loss=dict(_delete_=True,
                                 type='JointFocalCELoss',
                                 gamma=2.0,
                                 focal_weight=1.0,
                                 ce_weight=1.0)))
