# The digits demo (configs/lt/convnext_focal.py) tested with flip TTA:
#   python tools/test.py \
#       configs/tta/flip-tta_convnext-atto_2xb32_digits-lt.py \
#       work_dirs/convnext_focal/epoch_30.pth --tta
# Shows the mechanics: the demo trains without flips and mirrored digits are
# not digits, so expect flip TTA to cost accuracy here (see the multi-scale
# config for a TTA that suits digits).
_base_ = ['../lt/convnext_focal.py', '../_base_/tta/flip.py']
