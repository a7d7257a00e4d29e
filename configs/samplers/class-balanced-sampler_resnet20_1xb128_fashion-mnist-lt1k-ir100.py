# Class-balanced re-sampling (Kang et al. ICLR 2020, q=0): each class equally
# likely, uniform within a class.
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
train_dataloader = dict(
    sampler=dict(
        _delete_=True, type='RebalancedSampler',
        strategy='class_balanced'))

