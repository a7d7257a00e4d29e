# CosFace cosine classifier (Wang et al., CVPR 2018: scale s=64, additive
# margin m=0.35 on the target cosine while training) behind a BNNeck (Luo et
# al., CVPR Workshops 2019: BatchNorm1d on the feature, bias fixed at 0),
# trained with cross-entropy on Fashion-MNIST-LT (IR 100). The margin needs
# hard labels: do not add Mixup/CutMix batch augments.
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(
    head=dict(
        type='CosineClsHead',
        s=64.0,
        m=0.35,
        margin_type='cosface',
        bnneck=True))
