# SAM and SWA together for the 2-process test, on a CSV data set of real
# images that the test generates (digit scans as PNGs; data_root set on the
# command line): ResNet-8 (BatchNorm, for SWA's recompute), 128 training
# images (2 iterations per rank per epoch), 2 epochs, both averaged; a
# validation at the end.
_base_ = [
    '../../../configs/_base_/models/resnet32_cifar_lt.py',
    '../../../configs/_base_/datasets/own_csv_bs32.py',
    '../../../configs/_base_/schedules/adamw_cosine_30e.py',
    '../../../configs/_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmlt', 'sam_swa_probe_hook'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='SamSwaProbeHook')]
model = dict(backbone=dict(depth=8))
data_preprocessor = dict(num_classes=10)
_no_workers = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(**_no_workers)
val_dataloader = dict(**_no_workers)
test_dataloader = dict(**_no_workers)
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
