# Logit-adjusted loss (Menon et al., ICLR 2021), tau=1.
# CIFAR-10-LT (IR 100), on the cross-entropy baseline.
_base_ = ['../baselines/convnext-atto_ce_1xb128_cifar10-lt-ir100.py']
model = dict(head=dict(
    loss=dict(_delete_=True, type='LogitAdjustedLoss', tau=1.0)))
