# Your own images with CSV annotations (GroupAnnotationDataset):
#   data/own/classes.txt             one class name per line (label order)
#   data/own/train.csv               filename,label[,group_id]  (header row;
#   data/own/val.csv                 labels as class names or indices; extra
#   data/own/test.csv                columns such as weight are kept)
#   data/own/images/...              the files named in the CSVs
# Images are resized to 80x60 (width x height), the size of the 60x80-pixel
# images these recipes were made for; change `img_scale` for yours. The
# pipeline packs group_id for the group-aware heads, losses and metric.
dataset_type = 'GroupAnnotationDataset'
data_root = 'data/own'
img_scale = (80, 60)  # (width, height)
data_preprocessor = dict(
    # ImageNet statistics (RGB), as MMPretrain's pretrained models expect
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='Resize', scale=img_scale, interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='Resize', scale=img_scale, interpolation='bilinear'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]

_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix='images',
    classes='classes.txt')
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(**_dataset, ann_file='train.csv', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        **_dataset,
        ann_file='val.csv',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LongTailMetric', topk=(1, ))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        **_dataset,
        ann_file='test.csv',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(
    type='LongTailMetric',
    topk=(1, ),
    save_per_class=True,
    save_confusion_matrix=True)
