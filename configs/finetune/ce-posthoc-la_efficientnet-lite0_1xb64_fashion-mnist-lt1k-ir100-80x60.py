# Cross-entropy, then post-hoc logit adjustment at inference (Menon et
# al., ICLR 2021): predictions use z - tau * log(prior), tau=1.
# Fine-tuning protocol (docs/benchmarks.md, --protocol finetune): EfficientNet-Lite0
# from ImageNet-1k weights on Fashion-MNIST-LT (IR 100) at 80x60; the same
# method block as its ResNet-20 config in configs/losses/.
_base_ = ['../baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py']
model = dict(head=dict(
    logit_adjust_tau=1.0,
    loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
