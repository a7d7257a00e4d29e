# Cross-entropy, then post-hoc logit adjustment at inference (Menon et
# al., ICLR 2021): predictions use z - tau * log(prior), tau=1.
# Fashion-MNIST-LT (IR 100).
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(
    logit_adjust_tau=1.0,
    loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
