# A few seconds of training for the TTA and ensemble tests: the digits demo,
# 2 iterations (32 training images) at a constant lr, with an EMAHook whose
# large momentum makes the EMA weights (saved as the checkpoint's state_dict)
# clearly differ from both the raw and the initial weights. Tests on 64
# images, without files or plots.
_base_ = ['../../../configs/lt/convnext_focal.py']
custom_hooks = [
    dict(type='EMAHook', momentum=0.5, priority='ABOVE_NORMAL'),
]
train_dataloader = dict(batch_size=16, dataset=dict(indices=32))
optim_wrapper = dict(optimizer=dict(lr=1e-2))
param_scheduler = []
train_cfg = dict(max_epochs=1, val_interval=100)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_dataloader = dict(dataset=dict(indices=64))
test_evaluator = dict(
    save_per_class=False, save_confusion_matrix=False, print_report=False)
default_hooks = dict(
    logger=dict(interval=1), long_tail_context=dict(plot=False))
