# scikit-learn's bundled digits (real 8x8 scans, no download): long-tailed
# training split (imbalance ratio 10) and a disjoint balanced test split.
dataset_type = 'DigitsLT'
data_preprocessor = dict(
    num_classes=10,
    # grey levels 0-255 repeated on 3 channels; mean/std of all 1,797 scans
    mean=[77.85, 77.85, 77.85],
    std=[95.85, 95.85, 95.85],
    to_rgb=False)

train_pipeline = [
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_pipeline = [
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    # explicit: MMPretrain's tools/train.py would default it to True, which
    # torch refuses without workers
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        split='train',
        imbalance_ratio=10,
        test_per_class=40,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        split='test',
        test_per_class=40,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LongTailMetric', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = dict(
    type='LongTailMetric',
    topk=(1, 5),
    save_per_class=True,
    save_confusion_matrix=True)
