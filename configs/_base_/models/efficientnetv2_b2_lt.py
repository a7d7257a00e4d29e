# MMPretrain's EfficientNetV2-B2 (10.1M parameters) with mmlt's long-tail
# linear head, initialised from MMPretrain's ImageNet-1k checkpoint
# efficientnetv2-b2_3rdparty_in1k (model zoo, configs/efficientnet_v2; its
# ImageNet mean/std are the data preprocessor's of own_csv_bs32.py). The
# backbone takes 60x80 images as they are (stride 32: a 2x3 last feature
# map, pooled). The checkpoint path is relative to the folder training is
# started from (the repository root); init_cfg=None trains from scratch.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='EfficientNetV2',
        arch='b2',
        init_cfg=dict(
            type='Pretrained',
            # efficientnetv2-b2_3rdparty_in1k, fetched by `mim download
            # mmpretrain --config NAME --dest checkpoints`
            checkpoint='checkpoints/'
            'efficientnetv2-b2_3rdparty_in1k_20221221-74f7d493.pth',
            prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LTLinearClsHead',
        num_classes=1000,  # set by the config that uses it
        in_channels=1408,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01),
    ),
)
