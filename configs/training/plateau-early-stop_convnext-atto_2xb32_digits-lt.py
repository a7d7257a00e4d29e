# The digits demo with MMEngine's ReduceOnPlateauLR and EarlyStoppingHook
# monitoring mmlt's balanced accuracy. Both need rule='greater' (an
# accuracy); ReduceOnPlateauLR's default rule is 'less' and it silently
# skips a monitor key missing from the metrics, so spell the key as
# LongTailMetric reports it ('long_tail/balanced_accuracy'); strict=True
# makes EarlyStoppingHook stop on a wrong key. Validation every epoch,
# since both act after validations; the shot bins (many_shot...) can be nan
# and are poor monitors.
_base_ = ['../lt/convnext_focal.py']
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='ReduceOnPlateauLR', monitor='long_tail/balanced_accuracy',
         rule='greater', factor=0.5, patience=2, by_epoch=True, begin=1),
]
train_cfg = dict(val_interval=1)
# in default_hooks (MMEngine registers each key), so that a child config's
# custom_hooks keeps it
default_hooks = dict(
    early_stopping=dict(
        type='EarlyStoppingHook', monitor='long_tail/balanced_accuracy',
        rule='greater', patience=6, strict=True))
