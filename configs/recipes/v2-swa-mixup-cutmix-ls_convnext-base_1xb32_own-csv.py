# V2 of the 44-class reference project: ConvNeXt-Base from ImageNet-22k
# weights, mixed precision, stochastic weight averaging, Mixup / CutMix,
# label smoothing, a cosine schedule with warm-up.
# - AMP: `--amp` on the command line (mmlt's tools and MMPretrain's switch
#   to AmpOptimWrapper; it needs a GPU, so the config does not hard-code it).
# - SWA (SWAHook): the weights after epochs 20, 22, ..., 28 (0-based)
#   averaged; from epoch 20 the lr is annealed (cosine, as torch's SWALR) to
#   1e-5 over 5 epochs. Validation, test and checkpoints use the averaged
#   model.
# - Mixup (alpha 0.2) or CutMix (alpha 1.0, the CutMix paper's), each
#   chosen for half of the batches (MMPretrain's RandomBatchAugment picks
#   one per batch); labels become soft.
# - Label smoothing 0.1 (LabelSmoothLoss, mode 'original': PyTorch's
#   CrossEntropyLoss(label_smoothing=0.1)), applied to the mixed labels.
# - Warm-up: 2 epochs linear from 1% of the lr, then cosine to 1e-7
#   (per iteration).
# - Not given by the reference project, our choice: AdamW (lr 1e-4, weight
#   decay 1e-2, as V2.1 states them), no gradient clipping, 30 epochs,
#   stochastic depth 0.1.
_base_ = [
    '../_base_/models/convnext_base_lt.py',
    '../_base_/datasets/own_csv_60x80_bs32.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head=dict(
        num_classes={{_base_.num_classes}},
        loss=dict(
            _delete_=True,
            type='LabelSmoothLoss',
            label_smooth_val=0.1,
            mode='original',
            loss_weight=1.0)))
data_preprocessor = dict(
    batch_augments=dict(
        augments=[
            dict(type='Mixup', alpha=0.2),
            dict(type='CutMix', alpha=1.0),
        ],
        probs=[0.5, 0.5]))

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
    clip_grad=None)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=2,
        eta_min=1e-7,
        convert_to_iter_based=True),
]
default_hooks = dict(
    swa=dict(
        type='SWAHook',
        swa_start=20,
        interval=2,
        swa_lr=1e-5,
        anneal_epochs=5,
        anneal_strategy='cos',
        update_bn=True))
train_cfg = dict(max_epochs=30, val_interval=1)
auto_scale_lr = dict(base_batch_size=32)
