_dataset = dict(
    classes='classes.txt',
    data_prefix='images',
    data_root='data/group_lift_degraded',
    type='GroupAnnotationDataset')
auto_scale_lr = dict(base_batch_size=128)
custom_hooks = []
custom_imports = dict(
    allow_failed_imports=False, imports=[
        'mmlt',
    ])
data_preprocessor = dict(
    mean=[
        72.94,
    ], num_classes=10, std=[
        90.02,
    ], to_rgb=False)
data_root = 'data/group_lift_degraded'
dataset_type = 'GroupAnnotationDataset'
default_hooks = dict(
    check_finite_loss=dict(type='CheckFiniteLossHook'),
    checkpoint=dict(interval=1, max_keep_ckpts=2, type='CheckpointHook'),
    load_from_check=dict(type='LoadFromCheckHook'),
    logger=dict(interval=10, type='LoggerHook'),
    long_tail_context=dict(type='LongTailContextHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'),
    visualization=dict(enable=False, type='VisualizationHook'))
default_scope = 'mmpretrain'
env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
group1_augment = [
    dict(
        interpolation='bilinear',
        magnitude_range=(
            0,
            15,
        ),
        magnitude_std='inf',
        pad_val=0,
        prob=0.5,
        type='Rotate'),
    dict(
        interpolation='bilinear',
        magnitude_range=(
            0,
            0.2,
        ),
        magnitude_std='inf',
        pad_val=0,
        prob=0.5,
        type='Shear'),
]
launcher = 'none'
load_from = '/work/main/work_dirs/benchmarks/converged/plan-c-rare/seed1/epoch_60.pth'
log_level = 'INFO'
model = dict(
    backbone=dict(depth=20, in_channels=1, shortcut='A', type='ResNetCIFARLT'),
    head=dict(
        in_channels=64,
        init_cfg=dict(
            layer='Linear', mode='fan_in', nonlinearity='relu',
            type='Kaiming'),
        loss=dict(gamma=2.0, type='SoftmaxFocalLoss'),
        num_classes=10,
        type='LTLinearClsHead'),
    neck=dict(type='GlobalAveragePooling'),
    type='ImageClassifier')
optim_wrapper = dict(
    optimizer=dict(lr=0.1, momentum=0.9, type='SGD', weight_decay=0.0002))
param_scheduler = [
    dict(
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True,
        end=5,
        end_factor=1.0,
        start_factor=0.2,
        type='LinearLR'),
    dict(
        begin=5,
        by_epoch=True,
        convert_to_iter_based=True,
        eta_min=0.0,
        type='CosineAnnealingLR'),
]
randomness = dict(deterministic=False, seed=0)
resume = False
test_cfg = dict()
test_dataloader = dict(
    batch_size=256,
    dataset=dict(
        ann_file='test.csv',
        classes='classes.txt',
        data_prefix='images',
        data_root='data/group_lift_rare',
        pipeline=[
            dict(color_type='grayscale', type='StrictLoadImageFromFile'),
            dict(algorithm_keys=[
                'group_id',
            ], type='PackInputs'),
        ],
        test_mode=True,
        type='GroupAnnotationDataset'),
    num_workers=2,
    persistent_workers=True,
    pin_memory=False,
    sampler=dict(shuffle=False, type='DefaultSampler'))
test_evaluator = dict(
    save_confusion_matrix=True,
    save_per_class=True,
    topk=(
        1,
        5,
    ),
    type='LongTailMetric')
test_pipeline = [
    dict(color_type='grayscale', type='StrictLoadImageFromFile'),
    dict(algorithm_keys=[
        'group_id',
    ], type='PackInputs'),
]
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=5)
train_dataloader = dict(
    batch_size=128,
    dataset=dict(
        ann_file='train.csv',
        classes='classes.txt',
        data_prefix='images',
        data_root='data/group_lift_rare',
        pipeline=[
            dict(color_type='grayscale', type='StrictLoadImageFromFile'),
            dict(crop_size=28, padding=4, type='RandomCrop'),
            dict(direction='horizontal', prob=0.5, type='RandomFlip'),
            dict(
                default=[],
                pipelines=dict({
                    1: [
                        dict(
                            interpolation='bilinear',
                            magnitude_range=(
                                0,
                                15,
                            ),
                            magnitude_std='inf',
                            pad_val=0,
                            prob=0.5,
                            type='Rotate'),
                        dict(
                            interpolation='bilinear',
                            magnitude_range=(
                                0,
                                0.2,
                            ),
                            magnitude_std='inf',
                            pad_val=0,
                            prob=0.5,
                            type='Shear'),
                    ]
                }),
                type='ApplyByGroup'),
            dict(algorithm_keys=[
                'group_id',
            ], type='PackInputs'),
        ],
        type='GroupAnnotationDataset'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(shuffle=True, type='DefaultSampler'))
train_pipeline = [
    dict(color_type='grayscale', type='StrictLoadImageFromFile'),
    dict(crop_size=28, padding=4, type='RandomCrop'),
    dict(direction='horizontal', prob=0.5, type='RandomFlip'),
    dict(
        default=[],
        pipelines=dict({
            1: [
                dict(
                    interpolation='bilinear',
                    magnitude_range=(
                        0,
                        15,
                    ),
                    magnitude_std='inf',
                    pad_val=0,
                    prob=0.5,
                    type='Rotate'),
                dict(
                    interpolation='bilinear',
                    magnitude_range=(
                        0,
                        0.2,
                    ),
                    magnitude_std='inf',
                    pad_val=0,
                    prob=0.5,
                    type='Shear'),
            ]
        }),
        type='ApplyByGroup'),
    dict(algorithm_keys=[
        'group_id',
    ], type='PackInputs'),
]
val_cfg = dict()
val_dataloader = dict(
    batch_size=256,
    dataset=dict(
        ann_file='val.csv',
        classes='classes.txt',
        data_prefix='images',
        data_root='data/group_lift_rare',
        pipeline=[
            dict(color_type='grayscale', type='StrictLoadImageFromFile'),
            dict(algorithm_keys=[
                'group_id',
            ], type='PackInputs'),
        ],
        test_mode=True,
        type='GroupAnnotationDataset'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(shuffle=False, type='DefaultSampler'))
val_evaluator = dict(
    topk=(
        1,
        5,
    ), type='LongTailMetric')
vis_backends = [
    dict(type='LocalVisBackend'),
]
visualizer = dict(
    type='UniversalVisualizer', vis_backends=[
        dict(type='LocalVisBackend'),
    ])
work_dir = '/work/main/work_dirs/benchmarks/converged/plan-c-rare/seed1'
