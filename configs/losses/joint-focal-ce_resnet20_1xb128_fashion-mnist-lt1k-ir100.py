# Softmax focal loss + cross-entropy, weights 1 and 1 (the Products-10K
# winning solution's weights are not published in a source we could check).
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(loss=dict(_delete_=True,
                                 type='JointFocalCELoss',
                                 gamma=2.0,
                                 focal_weight=1.0,
                                 ce_weight=1.0)))
