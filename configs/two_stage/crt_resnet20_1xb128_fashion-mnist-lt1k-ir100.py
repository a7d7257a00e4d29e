# Decoupled training, stage 2: classifier re-training (cRT) of Kang et al.,
# "Decoupling Representation and Classifier for Long-Tailed Recognition",
# ICLR 2020. The stage-1 cross-entropy model (instance-balanced sampling) is
# loaded through load_from; its representation is frozen (BatchNorm
# included, see ClassifierRetrainHook) and the linear classifier is
# re-initialised and trained alone with class-balanced sampling.
#
# Stage 1 (60 epochs; tools/train.py writes to work_dirs/<config name>):
#   python tools/train.py configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py
# Stage 2 (10 epochs, as the authors' cRT config):
#   python tools/train.py configs/two_stage/crt_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
# With another stage-1 checkpoint:
#   ... --cfg-options load_from=PATH/epoch_N.pth
# Resume an interrupted stage 2 with --resume (not load_from): the
# classifier is only re-initialised at iteration 0.
_base_ = [
    '../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/two_stage/crt.py'
]
load_from = 'work_dirs/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100/epoch_60.pth'

# the stage-2 block (configs/_base_/two_stage/crt.py): class-balanced
# sampling, ClassifierRetrainHook and a strict LoadFromCheckHook, stage 1's
# optimizer (SGD, lr 0.1, momentum 0.9, weight decay 2e-4) with one cosine
# decay to 0, 10 epochs
train_dataloader = dict(sampler={{_base_.crt_stage2.sampler}})
default_hooks = {{_base_.crt_stage2.default_hooks}}
param_scheduler = {{_base_.crt_stage2.param_scheduler}}
train_cfg = {{_base_.crt_stage2.train_cfg}}
