# V2.1 of the 44-class reference project: V2 (ConvNeXt-Base, AMP, SWA from
# epoch 20, Mixup / CutMix, label smoothing, warm-up + cosine) with
# - 3-fold stratified cross-validation: a command, not a config
#   (tools/kfold_train.py ... --num-splits 3; README.md);
# - early stopping on the validation top-1 accuracy (EarlyStoppingHook:
#   rule='greater', the best value so far must rise by more than min_delta
#   within 5 validations; strict=True stops on a misspelled key). The
#   reference project's min_delta 1e-4 is of an accuracy in [0, 1];
#   LongTailMetric reports percent, hence 0.01. A run stopped before epoch
#   20 has no SWA average: the trained weights are validated and saved;
# - flip x multi-scale test-time augmentation (0.9x, 1x, 1.1x, each as is
#   and mirrored: `tools/test.py ... --tta`;
#   configs/_base_/tta/flip_multiscale_own_csv.py);
# - AdamW with lr 1e-4, weight decay 1e-2, betas (0.9, 0.999), gradient
#   norm clipped to 5.0.
_base_ = [
    './v2-swa-mixup-cutmix-ls_convnext-base_1xb32_own-csv.py',
    '../_base_/tta/flip_multiscale_own_csv.py',
]
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-4, weight_decay=1e-2, betas=(0.9, 0.999)),
    clip_grad=dict(_delete_=True, max_norm=5.0))
# in default_hooks (MMEngine registers each key), so that a child config's
# custom_hooks keeps it
default_hooks = dict(
    early_stopping=dict(
        type='EarlyStoppingHook',
        monitor='long_tail/top1',
        rule='greater',
        min_delta=0.01,
        patience=5,
        strict=True))
