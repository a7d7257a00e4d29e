# The own-data starter: ConvNeXt-atto with the logit-adjusted loss (Menon et
# al., ICLR 2021, tau=1) on your own images and CSVs (folder layout:
# configs/_base_/datasets/own_csv_bs32.py). Set `num_classes` to the number
# of lines of classes.txt (checked when training starts), and data_root in
# the three dataloaders if your data is not in data/own:
#   python tools/train.py configs/lt/convnext-atto_logit-adjusted_1xb32_own-csv.py
#   python tools/test.py configs/lt/convnext-atto_logit-adjusted_1xb32_own-csv.py \
#       work_dirs/convnext-atto_logit-adjusted_1xb32_own-csv/epoch_30.pth
#
# Why this loss first: in docs/benchmarks.md (section lt-losses, Fashion-MNIST-LT
# IR 100, ResNet-20 from scratch, 3 seeds) the logit-adjusted loss was the best
# single method, balanced accuracy 84.28 +- 0.46 against cross-entropy's
# 79.74 +- 0.39 (few-shot 89.30 against 70.98), and needs nothing but the class
# counts, which LongTailContextHook takes from your training set.
# MMPretrain's sigmoid FocalLoss (alpha 0.25), which the earlier starter
# used, lost to cross-entropy there beyond the noise; that config,
# configs/baselines/convnext-atto_focal_1xb32_own-csv.py, is kept for configs
# that inherit it.
#
# From ImageNet weights: MMPretrain's model zoo has no ImageNet checkpoint of
# ConvNeXt(-V1)-atto; ConvNeXt-V2-atto's has the same stages (fetch
# convnext-v2-atto_fcmae-pre_3rdparty_in1k with `mim download mmpretrain
# --config NAME --dest checkpoints`) and loads into the backbone with, in
# your config:
#   model = dict(backbone=dict(
#       layer_scale_init_value=0., use_grn=True,
#       init_cfg=dict(type='Pretrained', prefix='backbone',
#                     checkpoint='checkpoints/<the .pth file>')))
# (the ImageNet mean/std of own_csv_bs32.py are what it expects). For a
# larger pretrained backbone see configs/recipes/ (EfficientNet-B0,
# EfficientNetV2-B2, ConvNeXt-Base).
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
        loss=dict(_delete_=True, type='LogitAdjustedLoss', tau=1.0)))
