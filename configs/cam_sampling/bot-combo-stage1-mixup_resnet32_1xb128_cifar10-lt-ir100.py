# Bag of Tricks' best combination (Zhang et al., AAAI 2021), stage 1 of 2,
# CIFAR-10-LT (IR 100), ResNet-32: cross-entropy with input mixup
# (alpha 1.0, the official COMBINER mix_up ALPHA 1.0), instance sampling,
# the first 160 epochs of the CIFAR-LT schedule (as drs-cam-stage1_*).
# Stage 2 and the commands: bot-combo_resnet32_1xb128_cifar10-lt-ir100.py
_base_ = ['./drs-cam-stage1_resnet32_1xb128_cifar10-lt-ir100.py']
model = dict(head=dict(loss=dict(
    _delete_=True, type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
data_preprocessor = dict(batch_augments=dict(
    augments=[dict(type='Mixup', alpha=1.0)]))
