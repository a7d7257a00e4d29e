# Decoupled training, stage 2: classifier re-training (cRT) of Kang et al.,
# ICLR 2020, on the fine-tuned EfficientNet-Lite0 (fine-tuning protocol,
# docs/benchmarks.md, --protocol finetune). The stage-1 cross-entropy model
# is loaded through load_from; its representation is frozen (BatchNorm
# included, see ClassifierRetrainHook) and the linear classifier is
# re-initialised and trained alone with class-balanced sampling, with stage
# 1's optimizer and one cosine decay over 10 epochs (the authors' cRT).
#
# Stage 1 (20 epochs):
#   python tools/train.py configs/baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py
# Stage 2:
#   python tools/train.py configs/finetune/crt_efficientnet-lite0_1xb64_fashion-mnist-lt1k-ir100-80x60.py
_base_ = [
    '../baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py',
    '../_base_/two_stage/crt.py'
]
load_from = 'work_dirs/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60/epoch_20.pth'

train_dataloader = dict(sampler={{_base_.crt_stage2.sampler}})
default_hooks = {{_base_.crt_stage2.default_hooks}}
param_scheduler = {{_base_.crt_stage2.param_scheduler}}
train_cfg = {{_base_.crt_stage2.train_cfg}}
