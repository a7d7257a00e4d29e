# τ-normalised classifier of Kang et al., ICLR 2020, on the stage-1
# cross-entropy model: no training, the classifier rows are rescaled to
# w_c / ||w_c||^τ (bias dropped) at test time, τ chosen on a validation split.
#
# The validation split is the protocol's (configs/_base_/datasets/
# fashion_mnist_lt1k_bs128.py): 100 images per class held out from the
# training images the long-tailed subset does not use. τ is picked there and
# tested on the whole balanced test set, which it never sees.
#
#   python tools/train.py configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py
#   python tools/analysis_tools/tau_norm_search.py \
#       configs/two_stage/tau-norm_resnet20_1xb128_fashion-mnist-lt1k-ir100.py \
#       work_dirs/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100/epoch_60.pth \
#       --save-checkpoint work_dirs/tau-norm_fashion-mnist-lt1k-ir100.pth
#   # it prints the table and the best τ; then either
#   python tools/test.py \
#       configs/two_stage/tau-norm_resnet20_1xb128_fashion-mnist-lt1k-ir100.py \
#       work_dirs/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100/epoch_60.pth \
#       --cfg-options model.head.tau_norm=<best τ>
#   # or, equivalently, the checkpoint with the τ-normalised classifier:
#   python tools/test.py \
#       configs/two_stage/tau-norm_resnet20_1xb128_fashion-mnist-lt1k-ir100.py \
#       work_dirs/tau-norm_fashion-mnist-lt1k-ir100.pth
_base_ = ['../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py']

# τ of the test-time classifier; None (off) until the search has picked it
model = dict(head=dict(tau_norm=None))
