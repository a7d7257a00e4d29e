# Plan B, "loss weight 2.0 with a curriculum" (configs/group_lift/
# ce-group1-curriculum_resnet20_1xb128_fashion-mnist-group-lift.py) under
# the fine-tuning protocol: cross-entropy with the normal weight 1.0 for
# group 1 during the first half of training, then rising linearly to 2.0 at
# 90% of it and 2.0 to the end (GroupWeightCurriculumHook). The keys are
# fractions of max_epochs (rounded half up to a 0-based epoch), so the plan
# keeps its shape on the 20-epoch schedule: 1.0 up to epoch 10 (0.5 x 20),
# rising over epochs 11-17, 2.0 from epoch 18 (0.9 x 20) to the end.
_base_ = ['./ce_efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60.py']
default_hooks = dict(
    group_weight_curriculum=dict(
        type='GroupWeightCurriculumHook',
        schedule={
            0: 1.0,
            0.5: 1.0,
            0.9: 2.0
        },
        groups=[1],
        interpolation='linear'),
)
