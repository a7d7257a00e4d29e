# Logit-adjusted loss (Menon et al., ICLR 2021) then a class-balanced
# classifier stage: classifier re-training (cRT; Kang et al., ICLR 2020) on
# the logit-adjusted model's representation. Stage 2 of 2; the delta on
# configs/two_stage/crt_* is the stage-1 model (load_from).
# The stage-2 loss is plain cross-entropy, as cRT's: the classifier is
# re-initialised and trained on class-balanced batches, which already
# remove the training prior; the logit-adjusted loss there would subtract
# it a second time. For the same reason no post-hoc adjustment may follow
# this stage (ClassifierRetrainHook refuses logit_adjust_tau > 0 under a
# re-balancing sampler; configs/combinations/README.md says why).
#
# Stage 1 (60 epochs):
#   python tools/train.py configs/losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
# Stage 2 (10 epochs, as the authors' cRT config):
#   python tools/train.py configs/combinations/logit-adjusted-crt_resnet20_1xb128_fashion-mnist-lt1k-ir100.py
_base_ = [
    '../losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/two_stage/crt.py'
]
load_from = ('work_dirs/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-'
             'ir100/epoch_60.pth')
model = dict(head=dict(loss=dict(
    _delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))

# the stage-2 block (configs/_base_/two_stage/crt.py): class-balanced
# sampling, ClassifierRetrainHook and a strict LoadFromCheckHook, stage 1's
# optimizer with one cosine decay to 0, 10 epochs
train_dataloader = dict(sampler={{_base_.crt_stage2.sampler}})
default_hooks = {{_base_.crt_stage2.default_hooks}}
param_scheduler = {{_base_.crt_stage2.param_scheduler}}
train_cfg = {{_base_.crt_stage2.train_cfg}}
