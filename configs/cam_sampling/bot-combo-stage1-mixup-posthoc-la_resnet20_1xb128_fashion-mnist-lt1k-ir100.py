# Input mixup (Bag of Tricks' stage 1, alpha 1.0 for the whole schedule)
# tested with post-hoc logit adjustment (Menon et al., ICLR 2021):
# predictions use z - tau * log(prior), tau=1. Nothing is trained: the
# stage-1 checkpoint is tested with this config. It tells how much of
# mixup's change on cross-entropy is a shift of the classifier toward the
# classes with many images (which the adjustment removes) and how much is
# the features (docs/benchmarks.md, section mixup-bias). Fashion-MNIST-LT
# (IR 100).
#   python tools/test.py \
#     configs/cam_sampling/bot-combo-stage1-mixup-posthoc-la_resnet20_1xb128_fashion-mnist-lt1k-ir100.py \
#     work_dirs/bot-combo-stage1-mixup_resnet20_1xb128_fashion-mnist-lt1k-ir100/epoch_60.pth
_base_ = ['./bot-combo-stage1-mixup_resnet20_1xb128_fashion-mnist-lt1k-ir100.py']
model = dict(head=dict(logit_adjust_tau=1.0))
