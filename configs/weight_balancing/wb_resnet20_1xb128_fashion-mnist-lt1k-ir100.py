# Weight balancing (Alshammari et al., "Long-Tailed Recognition via Weight
# Balancing", CVPR 2022), stage 2 of 2, Fashion-MNIST-LT (IR 100),
# ResNet-20. Stage 1 is cross-entropy with a larger weight decay
# (wb-stage1_*). Stage 2 loads it, freezes everything but the classifier
# and trains
#   * the stage-1 classifier (not re-initialised, as the official code),
#   * with the class-balanced softmax cross-entropy (Cui et al., beta
#     0.9999) on instance-sampled batches,
#   * a weight decay of 0.1 on the classifier, lr 0.01 (the official
#     second stage: SGD momentum 0.9, one cosine decay to 0 over 10
#     epochs),
#   * under MaxNorm: after every step, each class's weight vector is
#     scaled back into an L2 ball whose radius is set from the stage-1
#     per-class norms, min + 0.1 x (max - min) (MaxNormHook, thresh 0.1,
#     the official value); the bias is not capped.
#
# Stage 1 (60 epochs; tools/train.py writes to work_dirs/<config name>):
#   python tools/train.py configs/weight_balancing/wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
# Stage 2 (10 epochs):
#   python tools/train.py configs/weight_balancing/wb_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
# With another stage-1 checkpoint:
#   ... --cfg-options load_from=PATH/epoch_N.pth
_base_ = [
    './wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/two_stage/crt.py'
]
load_from = ('work_dirs/wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100/'
             'epoch_60.pth')

model = dict(head=dict(loss=dict(
    _delete_=True, type='ClassBalancedLoss', beta=0.9999,
    loss_type='softmax')))
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=0.1))

# cRT's stage-2 schedule (configs/_base_/two_stage/crt.py): one cosine
# decay to 0, 10 epochs; the sampler stays the instance sampler (the loss
# re-weights the classes)
param_scheduler = {{_base_.crt_stage2.param_scheduler}}
train_cfg = {{_base_.crt_stage2.train_cfg}}
default_hooks = dict(
    classifier_retrain=dict(type='ClassifierRetrainHook', reinit=False),
    # the frozen representation is the stage-1 checkpoint's: every tensor
    # of it must load
    load_from_check=dict(strict=True),
    max_norm=dict(type='MaxNormHook', thresh=0.1),
)
