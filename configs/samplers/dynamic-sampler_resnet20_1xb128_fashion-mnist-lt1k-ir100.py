# Dynamic (reverse progressive) sampling: class-balanced early, the original
# distribution late; num_epochs from train_cfg.max_epochs.
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
train_dataloader = dict(
    sampler=dict(_delete_=True, type='RebalancedSampler', strategy='dynamic'))

