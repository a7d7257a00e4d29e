# The schedule of mmlt's benchmark protocol (docs/benchmarks.md): the
# CIFAR-LT papers' optimizer (LDAM-DRW, Cao et al. NeurIPS 2019: SGD momentum
# 0.9, weight decay 2e-4, lr 0.1 for 128 images, a linear warm-up over the
# first 5 epochs) with a cosine decay to 0 instead of the two steps, over 60
# epochs: long enough for cross-entropy to converge on Fashion-MNIST-LT with
# 2,478 images (the curve is in docs/), short enough for one run on two CPU
# cores. Schedule hooks keep their paper meaning as fractions of max_epochs
# (DRW/DRS from 0.8, mixup off for the last 0.2).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.2,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=5, eta_min=0.0,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=5)
val_cfg = dict()
test_cfg = dict()
# lr 0.1 is for 128 images per iteration (1 process x 128)
auto_scale_lr = dict(base_batch_size=128)
