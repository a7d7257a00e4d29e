# MMPretrain's EfficientNet-B0 (5.3M parameters) with mmlt's long-tail
# linear head, initialised from MMPretrain's ImageNet-1k checkpoint
# efficientnet-b0_3rdparty_8xb32_in1k (model zoo, configs/efficientnet; its
# ImageNet mean/std are the data preprocessor's of own_csv_bs32.py). The
# backbone takes 60x80 images as they are (stride 32: a 2x3 last feature
# map, pooled). The checkpoint path is relative to the folder training is
# started from (the repository root); init_cfg=None trains from scratch.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='EfficientNet',
        arch='b0',
        init_cfg=dict(
            type='Pretrained',
            # efficientnet-b0_3rdparty_8xb32_in1k, fetched by `mim download
            # mmpretrain --config NAME --dest checkpoints`
            checkpoint='checkpoints/'
            'efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth',
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
