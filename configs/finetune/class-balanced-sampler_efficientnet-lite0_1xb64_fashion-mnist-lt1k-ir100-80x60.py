# Class-balanced re-sampling (Kang et al. ICLR 2020, q=0): each class equally
# likely, uniform within a class.
# Fine-tuning protocol (docs/benchmarks.md, --protocol finetune): EfficientNet-Lite0
# from ImageNet-1k weights on Fashion-MNIST-LT (IR 100) at 80x60; the same
# method block as its ResNet-20 config in configs/samplers/.
_base_ = ['../baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py']
train_dataloader = dict(
    sampler=dict(
        _delete_=True, type='RebalancedSampler',
        strategy='class_balanced'))
