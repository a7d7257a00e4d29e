# Fashion-MNIST-LT cross-entropy baseline tested with flip TTA (it trains with
# random flips, and clothes are mirror-symmetric):
#   python tools/test.py THIS_CONFIG \
#       work_dirs/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100/epoch_60.pth \
#       --tta
_base_ = [
    '../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/tta/flip.py'
]
# the protocol tests the 28x28 images as they are (flip.py resizes to 32 for
# ConvNeXt): the two views without a resize
tta_pipeline = [
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='RandomFlip', prob=1., direction='horizontal'),
                dict(type='RandomFlip', prob=0., direction='horizontal'),
            ],
            [dict(type='PackInputs', algorithm_keys=['group_id'])],
        ]),
]
