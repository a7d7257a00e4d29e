# Deep supervision on Fashion-MNIST-LT (IR 100): the ConvNeXt-atto returns
# all four stages, each pooled to a vector (ConvNeXt pools before its final
# norms, gap_before_final_norm=True; other backbones need
# neck=dict(type='GlobalAveragePooling')). The main cross-entropy head reads
# stage 3 (320 channels); linear classifiers on stages 0-2 (40, 80, 160
# channels) add their cross-entropy with weight 0.3 each (GoogLeNet's
# auxiliary-classifier weight, Szegedy et al., CVPR 2015).
# Logged: loss (main), loss_aux_stage0..2 (already weighted).
# Inference uses the main head only; export it without the auxiliary
# classifiers with tools/model_converters/export_main_head.py.
_base_ = ['../baselines/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py']
model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    head=dict(
        _delete_=True,
        type='DeepSupervisionHead',
        head=dict(
            type='LTLinearClsHead',
            num_classes=10,
            in_channels=320,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            init_cfg=None),
        aux_stages=(0, 1, 2),
        aux_in_channels=(40, 80, 160),
        loss_weights=(1.0, 0.3, 0.3, 0.3),
        aux_head=dict(
            type='LTLinearClsHead',
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            init_cfg=None)))
