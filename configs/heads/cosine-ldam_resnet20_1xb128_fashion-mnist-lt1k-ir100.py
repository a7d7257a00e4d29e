# CosineClsHead + LDAM loss (Cao et al., NeurIPS 2019: max margin 0.5,
# scale 30) on Fashion-MNIST-LT (IR 100).
# LDAM scales the logits itself (s=30), so the head has s=1.0 (it refuses
# any other s with LDAMLoss): the scale is applied once. The head adds no
# margin of its own (m=0.0), so the target margin stays LDAM's Delta_y and
# this run is LDAM on the cosine classifier as in the paper; a head margin
# m > 0 would add to it (target margin m + Delta_y, in cosine units).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(
    head=dict(
        type='CosineClsHead',
        s=1.0,
        m=0.0,
        margin_type='cosface',
        bnneck=False,
        loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0)))
