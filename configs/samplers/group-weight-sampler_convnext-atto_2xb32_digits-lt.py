# Per-group re-sampling on the embedded digits-LT: samples of group 1 (the
# heavy-stroke quarter of each class) are twice as likely to be drawn, on
# top of square-root class re-sampling. Runs anywhere (no download).
_base_ = ['../lt/convnext_focal.py']
train_dataloader = dict(
    sampler=dict(
        _delete_=True,
        type='RebalancedSampler',
        strategy='sqrt',
        group_weight={1: 2.0}))
