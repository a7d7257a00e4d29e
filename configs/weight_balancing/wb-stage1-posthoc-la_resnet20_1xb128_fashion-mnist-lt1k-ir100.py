# Weight balancing's stage 1 (cross-entropy with the larger weight decay),
# then post-hoc logit adjustment at inference (Menon et al., ICLR 2021):
# predictions use z - tau * log(prior), tau=1. Nothing is trained: the
# stage-1 model is tested with the adjusted logits. Hasegawa and Sato (ICLR
# 2024) read weight balancing's second stage as an implicit logit
# adjustment on the weight-decay features; this row applies the explicit
# one instead, on the same features.
#
#   python tools/train.py configs/weight_balancing/wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
#   python tools/test.py configs/weight_balancing/wb-stage1-posthoc-la_resnet20_1xb128_fashion-mnist-lt1k-ir100.py \
#       work_dirs/wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100/epoch_60.pth
_base_ = ['./wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(logit_adjust_tau=1.0))
