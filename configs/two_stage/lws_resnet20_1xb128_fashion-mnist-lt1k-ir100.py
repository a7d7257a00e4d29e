# Decoupled training, stage 2: learnable weight scaling (LWS) of Kang et al.,
# ICLR 2020. The stage-1 cross-entropy model is loaded through load_from and
# everything is frozen, the classifier too, except one scale per class:
# logits f_c * (w_c^T h + b_c), f initialised to 1 (the stage-1 checkpoint has
# no scales, so they start at 1), trained with class-balanced sampling. The
# rest (load_from, sampler, schedule) is the cRT config's.
#
# Stage 1 (60 epochs):
#   python tools/train.py configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py
# Stage 2 (5 epochs, as the authors' LWS config):
#   python tools/train.py configs/two_stage/lws_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
_base_ = ['./crt_resnet20_1xb128_fashion-mnist-lt1k-ir100.py']

model = dict(head=dict(lws=True))
default_hooks = dict(
    # the stage-1 classifier is kept: nothing to re-initialise
    classifier_retrain=dict(
        type='ClassifierRetrainHook', trainable=['head.lws_scale'],
        reinit=False),
    # strict (the cRT config's), but the stage-1 checkpoint has no scales
    load_from_check=dict(allow_missing=[r'head\.lws_scale']),
)
train_cfg = dict(max_epochs=5)
