# MMPretrain's ConvNeXt-Base (88.6M parameters) with mmlt's long-tail linear
# head, initialised from MMPretrain's ImageNet-22k checkpoint
# convnext-base_3rdparty_in21k (model zoo, configs/convnext; the backbone's
# weights only: its 21,841-class head is not loaded). ConvNeXt downsamples
# by 32 without padding (a stride-4 stem, three stride-2 layers): a 60x80
# image reaches the last stage as 1x2 (sides below 32 pixels fail), and is
# pooled (gap_before_final_norm). The checkpoint path is relative to the
# folder training is started from; init_cfg=None trains from scratch.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ConvNeXt',
        arch='base',
        drop_path_rate=0.1,  # ours for fine-tuning (ImageNet training: 0.5)
        init_cfg=dict(
            type='Pretrained',
            # convnext-base_3rdparty_in21k, fetched by `mim download
            # mmpretrain --config NAME --dest checkpoints`
            checkpoint='checkpoints/'
            'convnext-base_3rdparty_in21k_20220124-13b83eec.pth',
            prefix='backbone')),
    head=dict(
        type='LTLinearClsHead',
        num_classes=1000,  # set by the config that uses it
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
    ),
)
