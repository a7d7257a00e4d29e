# Curriculum for the loss weight of group 1 (digits-LT's heavy-stroke
# quarter): 1.0 for epochs 0-9, 1.5 for 10-19, 2.0 from epoch 20 (0-based).
_base_ = ['../lt/convnext_focal.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
default_hooks = dict(
    group_weight_curriculum=dict(
        type='GroupWeightCurriculumHook',
        schedule={
            0: 1.0,
            10: 1.5,
            20: 2.0
        },
        groups=[1],
        interpolation='step'),
)
