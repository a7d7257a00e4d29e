# CosineClsHead + LDAM loss (Cao et al., NeurIPS 2019: max margin 0.5,
# scale 30) on CIFAR-10-LT (IR 100); data: see
# configs/_base_/datasets/cifar10_lt_bs128.py.
# LDAM scales the logits itself (s=30), so the head has s=1.0 (it refuses
# any other s with LDAMLoss): the scale is applied once. The head adds no
# margin of its own (m=0.0), so the target margin stays LDAM's Delta_y; a
# head margin m > 0 would add to it (target margin m + Delta_y).
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(
    head=dict(
        type='CosineClsHead',
        s=1.0,
        m=0.0,
        margin_type='cosface',
        bnneck=False,
        loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0)))
