# The digits demo (configs/lt/convnext_focal.py: focal loss, long-tailed
# digits of scikit-learn) with a second task: a linear classifier predicts
# each image's group from the same 320-channel feature (on digits-LT,
# DigitsLT group_by='ink': group 1 = the heaviest-stroke quarter of each
# class, group 0 the rest). Its cross-entropy is added with weight 1.0 (the
# unweighted multi-task sum, Caruana 1997) and logged as loss_group.
# LongTailMetric reports long_tail/group_head_accuracy next to the class
# metrics; predictions carry pred_group_score / pred_group_label.
_base_ = ['../lt/convnext_focal.py']
model = dict(
    head=dict(
        _delete_=True,
        type='GroupMultiTaskHead',
        head=dict(
            type='LTLinearClsHead',
            num_classes=10,
            in_channels=320,
            loss=dict(
                type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0),
            init_cfg=None),
        num_groups=2,
        group_loss_weight=1.0,
        group_loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
