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
)

# LongTailContextHook fills the head's class counts from the training set
# and hands them (and the work dir) to the long-tail metric;
# CheckFiniteLossHook stops on a NaN/inf loss. A child config that sets
# custom_hooks replaces this list: keep both.
custom_hooks = [
    dict(type='LongTailContextHook'),
    dict(type='CheckFiniteLossHook'),
]

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
