# Decoupled training, stage 2: learnable weight scaling (LWS) of Kang et al.,
# ICLR 2020. The stage-1 cross-entropy model is loaded through load_from and
# everything is frozen, the classifier too, except one scale per class:
# logits f_c * (w_c^T h + b_c), f initialised to 1 (the stage-1 checkpoint has
# no scales, so they start at 1), trained with class-balanced sampling.
#
# Stage 1 (200 epochs):
#   python tools/train.py configs/lt/resnet32_ce_1xb128_cifar10-lt-ir100.py
# Stage 2 (5 epochs, as the authors' LWS config):
#   python tools/train.py configs/lt/two_stage/lws_resnet32_1xb128_cifar10-lt-ir100.py
_base_ = ['../resnet32_ce_1xb128_cifar10-lt-ir100.py']
load_from = 'work_dirs/resnet32_ce_1xb128_cifar10-lt-ir100/epoch_200.pth'

model = dict(head=dict(lws=True))
train_dataloader = dict(
    sampler=dict(
        _delete_=True, type='RebalancedSampler',
        strategy='class_balanced'))
custom_hooks = [
    dict(type='LongTailContextHook'),
    dict(type='CheckFiniteLossHook'),
    # the stage-1 classifier is kept: nothing to re-initialise
    dict(
        type='ClassifierRetrainHook',
        trainable=['head.lws_scale'],
        reinit=False),
]
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        eta_min=0.,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=5, val_interval=5)
