# Plan B, "loss weight 2.0 with a curriculum": cross-entropy with the normal
# weight 1.0 for group 1 during the first half of training, then rising
# linearly to 2.0 at 90% of it and 2.0 to the end (GroupWeightCurriculumHook;
# keys are fractions of max_epochs, so the plan keeps its shape in the
# benchmark's short smoke schedule: with 60 epochs, 1.0 up to epoch 30, 2.0
# from epoch 54).
_base_ = ['./ce_resnet20_1xb128_fashion-mnist-group-lift.py']
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
