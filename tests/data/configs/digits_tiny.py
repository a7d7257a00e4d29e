# A fast variant of the demo for tests: 2 epochs, validation each epoch.
_base_ = ['../../../configs/lt/convnext_focal.py']
custom_imports = dict(imports=['mmlt', 'rank_state_hook'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RankStateHook')]
train_cfg = dict(max_epochs=2, val_interval=1)
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0)]
default_hooks = dict(logger=dict(interval=2))
