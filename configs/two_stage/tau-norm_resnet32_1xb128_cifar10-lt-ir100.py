# τ-normalised classifier of Kang et al., ICLR 2020, on the stage-1
# cross-entropy model: no training, the classifier rows are rescaled to
# w_c / ||w_c||^τ (bias dropped) at test time, τ chosen on a validation split.
#
# CIFAR-10-LT (IR 100) uses every training image of the head class, so a
# held-out split cannot come from the training set; the stage-1 config
# validates on its test set. This config holds out a fifth of the balanced
# test set (KFoldDataset fold 0 of 5, seed 0: 2,000 images, ~200 per class)
# as the validation split and tests on the other 8,000 images, so τ is never
# tuned on the images it is tested on. (Test accuracies are therefore over
# 8,000 images, not the 10,000 of the other configs.)
#
#   python tools/train.py configs/baselines/resnet32_ce_1xb128_cifar10-lt-ir100.py
#   python tools/analysis_tools/tau_norm_search.py \
#       configs/two_stage/tau-norm_resnet32_1xb128_cifar10-lt-ir100.py \
#       work_dirs/resnet32_ce_1xb128_cifar10-lt-ir100/epoch_200.pth \
#       --save-checkpoint work_dirs/tau-norm_cifar10-lt-ir100.pth
#   # it prints the table and the best τ; then either
#   python tools/test.py \
#       configs/two_stage/tau-norm_resnet32_1xb128_cifar10-lt-ir100.py \
#       work_dirs/resnet32_ce_1xb128_cifar10-lt-ir100/epoch_200.pth \
#       --cfg-options model.head.tau_norm=<best τ>
#   # or, equivalently, the checkpoint with the τ-normalised classifier:
#   python tools/test.py \
#       configs/two_stage/tau-norm_resnet32_1xb128_cifar10-lt-ir100.py \
#       work_dirs/tau-norm_cifar10-lt-ir100.pth
_base_ = ['../baselines/resnet32_ce_1xb128_cifar10-lt-ir100.py']

# τ of the test-time classifier; None (off) until the search has picked it
model = dict(head=dict(tau_norm=None))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='KFoldDataset',
        dataset={{_base_.test_dataloader.dataset}},
        fold=0,
        num_splits=5,
        test_mode=True,
        seed=0))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='KFoldDataset',
        dataset={{_base_.test_dataloader.dataset}},
        fold=0,
        num_splits=5,
        test_mode=False,
        seed=0))
