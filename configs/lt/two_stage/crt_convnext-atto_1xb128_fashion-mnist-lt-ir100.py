# Decoupled training, stage 2: classifier re-training (cRT) of Kang et al.,
# "Decoupling Representation and Classifier for Long-Tailed Recognition",
# ICLR 2020. The stage-1 cross-entropy model (instance-balanced sampling) is
# loaded through load_from; its representation is frozen (BatchNorm/LayerNorm
# included, see ClassifierRetrainHook) and the linear classifier is
# re-initialised and trained alone with class-balanced sampling.
#
# Stage 1 (30 epochs; tools/train.py writes to work_dirs/<config name>):
#   python tools/train.py configs/lt/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py
# Stage 2 (10 epochs, as the authors' cRT config):
#   python tools/train.py configs/lt/two_stage/crt_convnext-atto_1xb128_fashion-mnist-lt-ir100.py
# With another stage-1 checkpoint:
#   ... --cfg-options load_from=PATH/epoch_N.pth
# Resume an interrupted stage 2 with --resume (not load_from): the
# classifier is only re-initialised at iteration 0.
_base_ = ['../convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py']
load_from = 'work_dirs/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100/epoch_30.pth'

# class-balanced sampling (q=0): every class equally likely
train_dataloader = dict(
    sampler=dict(
        _delete_=True, type='RebalancedSampler',
        strategy='class_balanced'))
default_hooks = dict(
    # default trainable: the head's classifier (head.fc)
    classifier_retrain=dict(type='ClassifierRetrainHook', reinit=True),
    # the frozen representation is the stage-1 checkpoint's: every tensor
    # of it must load (LoadFromCheckHook stops otherwise)
    load_from_check=dict(strict=True),
)
# stage 1's optimizer (AdamW, lr 4e-3 for 128 images); one cosine decay to 0
# over the stage (the authors: cosine from 0.2 to 0 with SGD), so
# train_cfg.max_epochs=E alone re-times it
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        eta_min=0.,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=5)
