# Logit-adjusted loss (Menon et al., ICLR 2021, tau=1) with input mixup
# (Zhang et al., ICLR 2018) for the whole schedule. Delta on
# configs/losses/logit-adjusted_*: the Mixup batch augment.
# alpha = 1.0: Bag of Tricks' input-mixup setting (Zhang et al., AAAI 2021;
# the official configs' COMBINER mix_up ALPHA 1.0), as this repository's
# mixup row (configs/cam_sampling/bot-combo-stage1-mixup_*); untuned (a
# search may compare alphas on the held-out validation split only).
# Mixed targets: the loss adds tau*log(pi) to the logits and takes the soft
# cross-entropy of the mixed target on them, so a mix of y_a and y_b costs
# lam*L(y_a) + (1-lam)*L(y_b) on the adjusted logits
# (tests/test_models/test_losses/test_mixed_targets.py).
# Fashion-MNIST-LT (IR 100).
_base_ = [
    '../losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'
]
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='Mixup', alpha=1.0)]))
