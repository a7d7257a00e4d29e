# LDAM loss (Cao et al., NeurIPS 2019): max margin 0.5, scale 30, on the
# normalised (cosine) classifier, without re-weighting.
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(
    head=dict(type='LTNormedLinearClsHead',
              loss=dict(_delete_=True, type='LDAMLoss', max_m=0.5, s=30.0)))
