# AdamW with one warm-up epoch then cosine decay, 30 epochs; validation
# every 5 epochs. Sized for the small demo and benchmark sets.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=5.0),
)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, eta_min=1e-5),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
val_cfg = dict()
test_cfg = dict()
# lr above is for 64 images per iteration (2 processes x 32)
auto_scale_lr = dict(base_batch_size=64)
