# Mean class probabilities of two digits demos trained with different seeds
# (k-fold models combine the same way: one member per fold). Train the
# members, then test the ensemble; 'none' stands for the checkpoint, as the
# members load their own (their paths are relative to the repository root):
#   python tools/train.py configs/lt/convnext_focal.py
#   python tools/train.py configs/lt/convnext_focal.py \
#       --work-dir work_dirs/convnext_focal_seed1 \
#       --cfg-options randomness.seed=1
#   python tools/test.py THIS_CONFIG none
# With --tta every view is scored by the whole ensemble (flip by default;
# add a configs/_base_/tta snippet to _base_ for other views).
_base_ = [
    '../_base_/datasets/digits_lt_bs32.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='ScoreEnsemble',
    members=[
        dict(
            name='seed0',
            config='configs/lt/convnext_focal.py',
            checkpoint='work_dirs/convnext_focal/epoch_30.pth',
            weight=1.0),
        dict(
            name='seed1',
            config='configs/lt/convnext_focal.py',
            checkpoint='work_dirs/convnext_focal_seed1/epoch_30.pth',
            weight=1.0),
    ])
# Each member normalises with the data_preprocessor of its own config; the
# one of the dataset base would normalise a second time.
data_preprocessor = None
# Test only: an ensemble is not trained.
train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict()
