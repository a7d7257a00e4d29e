# V3 of the 44-class reference project: EfficientNetV2-B2 from ImageNet-1k
# weights, the class-balanced focal loss, the dynamic sampler, OneCycleLR,
# and the full metric set.
# - Loss: focal loss (gamma 2) whose per-class alpha is the class-balanced
#   weight by the effective number of samples, alpha_c ∝ (1 - beta) /
#   (1 - beta^n_c) with beta 0.9999 (Cui et al., CVPR 2019: ClassBalancedLoss
#   with loss_type='focal', softmax form); the class counts come from the
#   training set (LongTailContextHook), no list to type.
# - Sampler: RebalancedSampler(strategy='dynamic'): class-balanced at
#   epoch 0, moving linearly towards the original distribution (its share
#   t/T at 0-based epoch t of T = train_cfg.max_epochs). Early in training
#   the sampler's balance and the loss's weights compound.
# - OneCycleLR (per iteration): from 1e-3 / 25 up to 1e-3 over the first
#   10% of the iterations, then cosine down to 1e-3 / 25 / 1000. MMEngine's
#   OneCycleLR schedules the lr only (torch's also cycles Adam's beta1).
# - Adaptive fold count: a command (tools/kfold_train.py ... --num-splits
#   auto: min(--max-splits, images of the smallest class), at least 2).
# - Metrics (LongTailMetric): top-1 accuracy, balanced accuracy, macro and
#   weighted F1, worst-class F1; at each validation per-class recall and F1
#   as scalars (log_per_class); at test, per_class.csv/json, the confusion
#   matrix PNG and the per-class lists.
# - Not given by the reference project, our choice: V2.1's AdamW (weight
#   decay 1e-2, betas (0.9, 0.999), gradient norm clipped to 5.0), 30
#   epochs, validation every epoch.
_base_ = [
    '../_base_/models/efficientnetv2_b2_lt.py',
    '../_base_/datasets/own_csv_60x80_bs32.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head=dict(
        num_classes={{_base_.num_classes}},
        loss=dict(
            _delete_=True,
            type='ClassBalancedLoss',
            beta=0.9999,
            loss_type='focal',
            gamma=2.0,
            loss_weight=1.0)))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='RebalancedSampler', strategy='dynamic'))

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-3, weight_decay=1e-2, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(
        type='OneCycleLR',
        eta_max=1e-3,
        pct_start=0.1,
        div_factor=25,
        final_div_factor=1000,
        anneal_strategy='cos',
        by_epoch=True,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=30, val_interval=1)
auto_scale_lr = dict(base_batch_size=32)
val_evaluator = dict(type='LongTailMetric', topk=(1, ), log_per_class=True)
test_evaluator = dict(
    type='LongTailMetric',
    topk=(1, ),
    save_per_class=True,
    save_confusion_matrix=True,
    per_class_in_results=True)
