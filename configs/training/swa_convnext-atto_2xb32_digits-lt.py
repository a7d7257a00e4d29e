# The digits demo with stochastic weight averaging (Izmailov et al., UAI
# 2018) for its last 10 of 30 epochs, as practitioners set it: the weights
# after epochs 20, 22, ..., 28 (0-based) are averaged; from epoch 20 the lr
# is cosine-annealed to swa_lr=1e-5 over 5 epochs (overriding the cosine
# schedule there); after the last epoch the averaged model's BatchNorm
# statistics are recomputed on the training data (ConvNeXt's LayerNorms have
# none: a BatchNorm backbone such as ResNet-32 needs it). Validation, test
# and checkpoints use the averaged model; --resume continues exactly.
_base_ = ['../lt/convnext_focal.py']
default_hooks = dict(
    swa=dict(
        type='SWAHook',
        swa_start=20,  # or a fraction of the epochs (2/3) or -10
        interval=2,
        swa_lr=1e-5,
        anneal_epochs=5,
        anneal_strategy='cos',
        update_bn=True))
