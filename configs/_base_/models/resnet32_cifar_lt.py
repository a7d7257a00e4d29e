# ResNet-32 for 32x32 images (He et al. 2016, Sec. 4.2: 3 stages of 5 basic
# blocks, 16-32-64 channels, zero-padding shortcuts; 0.46M parameters), the
# backbone of the CIFAR-LT papers (LDAM-DRW, BBN, bag of tricks), with
# mmlt's long-tail linear head (class counts filled from the training set).
# Like the LDAM-DRW code, every convolution and the classifier start from
# kaiming_normal_ (fan-in, ReLU gain).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetCIFARLT', depth=32, shortcut='A'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LTLinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(
            type='Kaiming', layer='Linear', mode='fan_in',
            nonlinearity='relu'),
    ),
)
