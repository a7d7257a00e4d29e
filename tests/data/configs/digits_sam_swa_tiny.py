# SAM and SWA together for the 2-process test: ResNet-8 (BatchNorm, for
# SWA's recompute) on 128 digits (2 iterations per rank per epoch), 2
# epochs, both averaged; a validation at the end.
_base_ = [
    '../../../configs/_base_/models/resnet32_cifar_lt.py',
    '../../../configs/_base_/datasets/digits_lt_bs32.py',
    '../../../configs/_base_/schedules/adamw_cosine_30e.py',
    '../../../configs/_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlt', 'sam_swa_probe_hook'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='SamSwaProbeHook')]
model = dict(backbone=dict(depth=8))
train_dataloader = dict(dataset=dict(indices=128))
val_dataloader = dict(dataset=dict(indices=64))
test_dataloader = val_dataloader
val_evaluator = dict(type='LongTailMetric', topk=1, print_report=False)
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.05,
    optimizer=dict(_delete_=True, type='SGD', lr=0.05, momentum=0.9),
    clip_grad=dict(max_norm=5.0))
param_scheduler = []
train_cfg = dict(max_epochs=2, val_interval=2)
default_hooks = dict(
    logger=dict(interval=1),
    long_tail_context=dict(plot=False),
    swa=dict(type='SWAHook', swa_start=0, interval=1, swa_lr=0.01,
             anneal_epochs=1))
