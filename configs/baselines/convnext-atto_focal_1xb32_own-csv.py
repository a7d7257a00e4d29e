# ConvNeXt-atto + MMPretrain's FocalLoss on your own images and CSVs (see
# configs/_base_/datasets/own_csv_bs32.py for the folder layout). Set
# `num_classes` to the number of lines of classes.txt (checked when training
# starts), and data_root in the three dataloaders if your data is not in
# data/own:
#   python tools/train.py configs/baselines/convnext-atto_focal_1xb32_own-csv.py
#   python tools/test.py configs/baselines/convnext-atto_focal_1xb32_own-csv.py \
#       work_dirs/convnext-atto_focal_1xb32_own-csv/epoch_30.pth
_base_ = [
    '../_base_/models/convnext_atto_lt.py',
    '../_base_/datasets/own_csv_bs32.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
num_classes = 3
data_preprocessor = dict(num_classes=num_classes)
model = dict(
    head=dict(
        num_classes=num_classes,
        loss=dict(type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)))
