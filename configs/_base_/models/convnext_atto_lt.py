# MMPretrain's smallest ConvNeXt (atto: depths 2-2-6-2, channels 40-320) with
# mmlt's long-tail linear head (class counts filled from the training set).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch='atto', drop_path_rate=0.0),
    head=dict(
        type='LTLinearClsHead',
        num_classes=10,
        in_channels=320,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,
    ),
    init_cfg=dict(
        type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
)
