# The CIFAR-LT schedule of LDAM-DRW (Cao et al., NeurIPS 2019; the defaults
# and adjust_learning_rate of cifar_train.py in github.com/kaidic/LDAM-DRW),
# which later CIFAR-LT papers reuse: 200 epochs of 128 images, SGD momentum
# 0.9, weight decay 2e-4, lr 0.1 with a linear warm-up over the first 5
# epochs, then multiplied by 0.01 at epoch 160 and again at epoch 180
# (0.1 -> 1e-3 -> 1e-5).
#
# The code sets, for 1-based epoch e: lr = 0.1 * e / 5 for e <= 5,
# 0.1 * 1e-2 for 160 < e <= 180 and 0.1 * 1e-4 for e > 180. In mmengine's
# 0-based epochs: 0.02, 0.04, 0.06, 0.08, 0.1 in epochs 0-4 (LinearLR from
# 0.2 over 5 epochs, changed once per epoch as in the code), 1e-3 from
# epoch 160 and 1e-5 from epoch 180 (MultiStepLR, gamma 0.01 at both).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.2,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=5),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=[160, 180],
        gamma=0.01),
]
# the final epoch is what to report (the LDAM-DRW code prints the best test
# epoch as well)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()
# lr 0.1 is for 128 images per iteration (1 process x 128)
auto_scale_lr = dict(base_batch_size=128)
