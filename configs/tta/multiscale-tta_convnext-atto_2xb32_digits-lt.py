# The digits demo (configs/lt/convnext_focal.py) tested with multi-scale TTA
# (0.9x, 1x, 1.1x of 32x32; see configs/_base_/tta/multiscale.py):
#   python tools/test.py \
#       configs/tta/multiscale-tta_convnext-atto_2xb32_digits-lt.py \
#       work_dirs/convnext_focal/epoch_30.pth --tta
_base_ = ['../lt/convnext_focal.py', '../_base_/tta/multiscale.py']
