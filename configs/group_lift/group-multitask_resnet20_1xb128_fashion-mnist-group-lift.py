# A second task on the baseline: a linear classifier predicts each image's
# group (0 or 1) from the same 64-channel feature the class head uses, its
# cross-entropy added with weight 1.0 (the unweighted multi-task sum,
# Caruana 1997) and logged as loss_group. LongTailMetric reports
# long_tail/group_head_accuracy next to the class metrics.
_base_ = ['./ce_resnet20_1xb128_fashion-mnist-group-lift.py']
model = dict(
    head=dict(
        _delete_=True,
        type='GroupMultiTaskHead',
        head=dict(
            type='LTLinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            init_cfg=dict(
                type='Kaiming', layer='Linear', mode='fan_in',
                nonlinearity='relu')),
        num_groups=2,
        group_loss_weight=1.0,
        group_loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
