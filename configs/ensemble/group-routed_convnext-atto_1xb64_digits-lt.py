# Group specialist + fallback on digits-LT: samples of group 1 (the heaviest
# strokes of each class, DigitsLT group_by='ink') go to the model trained
# with group 1 weighted twice, all others to the demo. Train both, then:
#   python tools/train.py configs/lt/convnext_focal.py
#   python tools/train.py \
#       configs/losses/ce-group1x2_convnext-atto_2xb32_digits-lt.py
#   python tools/test.py \
#       configs/ensemble/group-routed_convnext-atto_1xb64_digits-lt.py none
# LongTailMetric's group{g}_accuracy then reports each group's specialist.
_base_ = [
    '../_base_/datasets/digits_lt_bs32.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='GroupRoutedEnsemble',
    members=[
        dict(
            name='group1_x2',
            config='configs/losses/'
            'ce-group1x2_convnext-atto_2xb32_digits-lt.py',
            checkpoint='work_dirs/ce-group1x2_convnext-atto_2xb32_digits-lt/'
            'epoch_30.pth'),
        dict(
            name='demo',
            config='configs/lt/convnext_focal.py',
            checkpoint='work_dirs/convnext_focal/epoch_30.pth'),
    ],
    routes={1: 'group1_x2'},
    fallback='demo')
# Each member normalises with the data_preprocessor of its own config.
data_preprocessor = None
# Test only: an ensemble is not trained.
train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict()
