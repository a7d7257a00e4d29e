# Logit-adjusted loss (Menon et al., ICLR 2021, tau=1) with CutMix (Yun et
# al., ICCV 2019) for the whole schedule. Delta on
# configs/losses/logit-adjusted_*: the CutMix batch augment.
# alpha = 1.0: CutMix's paper default (Beta(1, 1), a uniform area), also
# CMO's (Park et al., CVPR 2022); untuned (a search may compare alphas on
# the held-out validation split only). The target mixes the two labels by
# the pasted area; the loss's prior correction applies to the logits, the
# soft cross-entropy to the adjusted logits
# (tests/test_models/test_losses/test_mixed_targets.py).
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'
]
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='CutMix', alpha=1.0)]))
