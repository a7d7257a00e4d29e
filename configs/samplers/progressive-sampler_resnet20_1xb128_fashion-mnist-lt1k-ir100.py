# Progressively-balanced sampling (Kang et al. ICLR 2020, eq. 2): from
# instance to class-balanced over the schedule; num_epochs is taken from
# train_cfg.max_epochs by LongTailContextHook.
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
train_dataloader = dict(
    sampler=dict(
        _delete_=True, type='RebalancedSampler',
        strategy='progressive'))

