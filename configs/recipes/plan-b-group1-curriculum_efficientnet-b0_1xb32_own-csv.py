# Group plan B of the 44-class reference project: the loss weight of group
# 1 (the group_id column of the CSVs) on a curriculum, on V1
# (EfficientNet-B0, class-balanced re-sampling, flip + rotation +
# brightness, plateau lr): the normal weight 1.0 for the first half of
# training, then rising linearly to 2.0 at 90% of it and 2.0 to the end
# (GroupWeightCurriculumHook; keys are fractions of train_cfg.max_epochs:
# with 30 epochs, 1.0 up to epoch 15, 2.0 from epoch 27). For another
# group, change groups=[1].
_base_ = ['./v1-cb-resample-plateau_efficientnet-b0_1xb32_own-csv.py']
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
