# Class-balanced RebalancedSampler on the demo data; each rank dumps the
# indices it draws over 20 epochs, then trains one short epoch.
_base_ = ['./digits_tiny.py']
custom_imports = dict(
    imports=['mmlt', 'rank_state_hook', 'rank_indices_hook'],
    allow_failed_imports=False)
custom_hooks = [
    dict(type='RankStateHook'),
    dict(type='RankIndicesHook', epochs=20),
]
train_dataloader = dict(
    sampler=dict(_delete_=True, type='RebalancedSampler',
                 strategy='class_balanced'))
train_cfg = dict(max_epochs=1)
val_cfg = None
val_dataloader = None
val_evaluator = None
