# Input mixup (alpha 1.0, Bag of Tricks' setting) with cross-entropy on the
# soft targets, instance sampling, the whole schedule.
# Fine-tuning protocol (docs/benchmarks.md, --protocol finetune): EfficientNet-Lite0
# from ImageNet-1k weights on Fashion-MNIST-LT (IR 100) at 80x60; the same
# method block as its ResNet-20 config in configs/cam_sampling/.
_base_ = ['../baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='Mixup', alpha=1.0)]))
