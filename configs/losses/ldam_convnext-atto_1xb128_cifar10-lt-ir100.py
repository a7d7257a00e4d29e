# LDAM loss (Cao et al., NeurIPS 2019): max margin 0.5, scale 30, on the
# normalised (cosine) classifier, without re-weighting.
# CIFAR-10-LT (IR 100), on the cross-entropy baseline.
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(
    head=dict(type='LTNormedLinearClsHead',
              loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0)))
