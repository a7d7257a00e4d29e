# Decoupled training, stage 2: learnable weight scaling (LWS) of Kang et al.,
# ICLR 2020, on the fine-tuned EfficientNet-Lite0 (fine-tuning protocol).
# Everything of the stage-1 cross-entropy model is frozen, the classifier
# too, except one scale per class (initialised to 1), trained with
# class-balanced sampling for 5 epochs (the authors' LWS); the rest is the
# cRT config's.
#
# Stage 1 (20 epochs):
#   python tools/train.py configs/baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py
# Stage 2:
#   python tools/train.py configs/finetune/lws_efficientnet-lite0_1xb64_fashion-mnist-lt1k-ir100-80x60.py
_base_ = ['./crt_efficientnet-lite0_1xb64_fashion-mnist-lt1k-ir100-80x60.py']

model = dict(head=dict(lws=True))
default_hooks = dict(
    classifier_retrain=dict(
        type='ClassifierRetrainHook', trainable=['head.lws_scale'],
        reinit=False),
    load_from_check=dict(allow_missing=[r'head\.lws_scale']),
)
train_cfg = dict(max_epochs=5)
