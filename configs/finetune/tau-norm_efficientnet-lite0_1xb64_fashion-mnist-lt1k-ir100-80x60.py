# τ-normalised classifier of Kang et al., ICLR 2020, on the fine-tuned
# EfficientNet-Lite0 (fine-tuning protocol): no training, the classifier rows
# are rescaled to w_c / ||w_c||^τ (bias dropped) at test time, τ chosen on
# the held-out validation split by
#   python tools/analysis_tools/tau_norm_search.py \
#       configs/finetune/tau-norm_efficientnet-lite0_1xb64_fashion-mnist-lt1k-ir100-80x60.py \
#       work_dirs/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60/epoch_20.pth \
#       --save-checkpoint work_dirs/tau-norm_efficientnet-lite0_1xb64_fashion-mnist-lt1k-ir100-80x60.pth
# then tested with --cfg-options model.head.tau_norm=<best τ> or on the
# checkpoint it wrote.
_base_ = ['../baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py']

# τ of the test-time classifier; None (off) until the search has picked it
model = dict(head=dict(tau_norm=None))
