# Square-root re-sampling (Kang et al. ICLR 2020, q=1/2): P(class) ∝ sqrt(n_c).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
train_dataloader = dict(
    sampler=dict(_delete_=True, type='RebalancedSampler', strategy='sqrt'))

