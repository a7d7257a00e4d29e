# Fashion-MNIST-LT cross-entropy baseline tested with flip x multi-scale TTA
# (6 views: 0.9x, 1x, 1.1x of 32x32, each as is and mirrored; see
# configs/_base_/tta/flip_multiscale.py):
#   python tools/test.py THIS_CONFIG \
#       work_dirs/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100/epoch_30.pth \
#       --tta
_base_ = [
    '../baselines/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py',
    '../_base_/tta/flip_multiscale.py'
]
