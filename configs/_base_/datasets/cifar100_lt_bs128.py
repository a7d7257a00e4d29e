# CIFAR-100-LT, imbalance ratio 100 (Cao et al. 2019 protocol: exponential
# profile, 500 images for the head class, seed 0; 10,847 training images).
# Download CIFAR-100 into data_root (MMPretrain's CIFAR100 does it with
# download=True on a machine with internet access); the test set stays the
# balanced 10,000 images. Everything else as CIFAR-10-LT.
_base_ = ['./cifar10_lt_bs128.py']
dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418])
train_dataloader = dict(
    dataset=dict(dataset=dict(type=dataset_type, data_root=data_root)))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
