# Cross-entropy on the benchmark protocol (docs/benchmarks.md) with
# ResNet-32, the backbone of the CIFAR-LT papers (LDAM-DRW, Bag of Tricks: 5
# blocks per stage), instead of the protocol's ResNet-20: the same data and
# 60-epoch schedule, about 1.6x the time per epoch. The export benchmark's
# second model (tools/deployment/export.py).
_base_ = ['./resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(backbone=dict(depth=32))
