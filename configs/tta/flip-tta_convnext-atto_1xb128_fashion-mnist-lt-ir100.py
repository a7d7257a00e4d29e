# Fashion-MNIST-LT cross-entropy baseline tested with flip TTA (it trains with
# random flips, and clothes are mirror-symmetric):
#   python tools/test.py THIS_CONFIG \
#       work_dirs/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100/epoch_30.pth \
#       --tta
_base_ = [
    '../baselines/convnext-atto_ce_1xb128_fashion-mnist-lt-ir100.py',
    '../_base_/tta/flip.py'
]
