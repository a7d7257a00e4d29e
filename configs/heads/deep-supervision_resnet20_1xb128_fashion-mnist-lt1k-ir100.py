# Deep supervision on Fashion-MNIST-LT (IR 100): ResNet-20 returns its three
# stages, each pooled to a vector by the GlobalAveragePooling neck. The main
# cross-entropy head reads stage 2 (64 channels); linear classifiers on
# stages 0 and 1 (16 and 32 channels) add their cross-entropy with weight
# 0.3 each (GoogLeNet's auxiliary-classifier weight, Szegedy et al., CVPR
# 2015). Logged: loss (main), loss_aux_stage0..1 (already weighted).
# Inference uses the main head only; export it without the auxiliary
# classifiers with tools/model_converters/export_main_head.py.
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(
    backbone=dict(out_indices=(0, 1, 2)),
    head=dict(
        _delete_=True,
        type='DeepSupervisionHead',
        head=dict(
            type='LTLinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            init_cfg=dict(
                type='Kaiming', layer='Linear', mode='fan_in',
                nonlinearity='relu')),
        aux_stages=(0, 1),
        aux_in_channels=(16, 32),
        loss_weights=(1.0, 0.3, 0.3),
        aux_head=dict(
            type='LTLinearClsHead',
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            init_cfg=dict(
                type='Kaiming', layer='Linear', mode='fan_in',
                nonlinearity='relu'))))
