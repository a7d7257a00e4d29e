# MiSLAS (Zhong et al., "Improving Calibration for Long-Tailed Recognition",
# CVPR 2021), stage 2 of 2, Fashion-MNIST-LT (IR 100), ResNet-20. Stage 1 is
# cross-entropy with input mixup (alpha 1.0, the whole schedule, instance
# sampling): the Bag-of-Tricks stage-1 config, which is MiSLAS's stage 1 as
# well. Stage 2 loads it and, with class-balanced sampling and without
# mixup (the official stage-2 configs: mixup False), trains
#   * the stage-1 classifier (not re-initialised, lr x 0.5: the official
#     CIFAR-10-LT IR 100 lr_factor) and one scale per class (LWS, lr x 1,
#     starting at 1), as the official code's classifier + LWS,
#   * with label-aware smoothing (epsilon_1 = 0.3 for the most frequent
#     class, epsilon_K = 0.0 for the rarest, the concave f: the official
#     CIFAR-10-LT IR 100 values),
#   * and shift learning on BatchNorm: the frozen network's BatchNorm
#     running mean and variance follow the class-balanced batches, its
#     affine gamma and beta and every convolution stay fixed
#     (ClassifierRetrainHook(frozen_norm_eval=False)).
# SGD lr 0.1, momentum 0.9, weight decay 2e-4, one cosine decay to 0 over
# 10 epochs, batch 128: the official stage-2 optimizer and length.
#
# Stage 1 (60 epochs; tools/train.py writes to work_dirs/<config name>):
#   python tools/train.py configs/cam_sampling/bot-combo-stage1-mixup_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
# Stage 2 (10 epochs):
#   python tools/train.py configs/mislas/mislas_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
# With another stage-1 checkpoint:
#   ... --cfg-options load_from=PATH/epoch_N.pth
_base_ = [
    '../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/two_stage/crt.py'
]
load_from = ('work_dirs/bot-combo-stage1-mixup_resnet20_1xb128_'
             'fashion-mnist-lt1k-ir100/epoch_60.pth')

model = dict(
    head=dict(
        lws=True,
        loss=dict(
            _delete_=True,
            type='LabelAwareSmoothingLoss',
            smooth_head=0.3,
            smooth_tail=0.0,
            shape='concave',
            spread='others')))

# the classifier at half the lr of the scales (the official lr_factor 0.5)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'head.fc': dict(lr_mult=0.5)}))

# cRT's stage-2 block (configs/_base_/two_stage/crt.py): class-balanced
# sampling, one cosine decay to 0, 10 epochs; its hooks with MiSLAS's
# options
train_dataloader = dict(sampler={{_base_.crt_stage2.sampler}})
param_scheduler = {{_base_.crt_stage2.param_scheduler}}
train_cfg = {{_base_.crt_stage2.train_cfg}}
default_hooks = dict(
    classifier_retrain=dict(
        type='ClassifierRetrainHook',
        trainable=['head.fc', 'head.lws_scale'],
        reinit=False,
        frozen_norm_eval=False),
    # the frozen representation is the stage-1 checkpoint's: every tensor
    # of it must load, but the stage-1 model has no LWS scales
    load_from_check=dict(strict=True, allow_missing=[r'head\.lws_scale']),
)
