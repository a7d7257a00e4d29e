# Runtime shared by every mmlt config. It loads mmlt through custom_imports,
# so MMPretrain's own tools/train.py can run mmlt configs too. A child config
# that sets custom_imports replaces this list: keep 'mmlt' in it.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmlt'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # mmlt's hooks live in default_hooks, not custom_hooks: MMEngine registers
    # every key of default_hooks, and a child config merges into this dict key
    # by key, so a child that sets custom_hooks=[dict(type='EMAHook')] keeps
    # them. LongTailContextHook hands the training set's class counts to the
    # head, the sampler and the long-tail metric and plots the class
    # distribution; CheckFiniteLossHook stops on a NaN/inf loss. Method
    # configs add their schedule hooks here too (drw=..., ib_warm_start=...);
    # `default_hooks.<key>=None` removes one.
    long_tail_context=dict(type='LongTailContextHook'),
    check_finite_loss=dict(type='CheckFiniteLossHook'),
    # LoadFromCheckHook stops when a load_from tensor outside the head does
    # not fit the model (shape, missing, unexpected; allow_backbone_mismatch=
    # True to train on) and lists the head's in a WARNING; stage-2 configs
    # set strict=True to stop for any. Resumes are not checked.
    load_from_check=dict(type='LoadFromCheckHook'),
    # WorldSizeCheckHook records the world size in each checkpoint and
    # warns when a resume runs on another number of processes (the sample
    # order, and so the weights, then differ from an uninterrupted run).
    world_size_check=dict(type='WorldSizeCheckHook'),
)

# Free for the user: a child config's custom_hooks (EMAHook, ...) replaces
# this empty list and drops nothing of mmlt's.
custom_hooks = []

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # NCCL on CUDA machines; mmlt's tools switch to gloo without CUDA.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
