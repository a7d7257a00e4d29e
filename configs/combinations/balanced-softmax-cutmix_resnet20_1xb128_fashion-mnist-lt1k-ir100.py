# Balanced softmax (Ren et al., NeurIPS 2020) with CutMix (Yun et al., ICCV
# 2019) for the whole schedule. Delta on configs/losses/balanced-softmax_*:
# the CutMix batch augment. alpha = 1.0: CutMix's paper default (also
# CMO's, Park et al., CVPR 2022); untuned (a search may compare alphas on
# the held-out validation split only). The loss's log(n) goes on the
# logits, the soft cross-entropy of the area-mixed target on the adjusted
# logits (tests/test_models/test_losses/test_mixed_targets.py).
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/balanced-softmax_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'
]
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='CutMix', alpha=1.0)]))
