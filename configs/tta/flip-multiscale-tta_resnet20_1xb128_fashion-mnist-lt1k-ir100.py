# Fashion-MNIST-LT cross-entropy baseline tested with flip x multi-scale TTA
# (6 views: 0.9x, 1x, 1.1x of the 28x28 image, each as is and mirrored, see
# configs/_base_/tta/flip_multiscale.py; here brought back to 28x28, the
# protocol's test size: the 25-pixel view padded with the black background,
# the 31-pixel one centre-cropped):
#   python tools/test.py THIS_CONFIG \
#       work_dirs/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100/epoch_60.pth \
#       --tta
_base_ = [
    '../baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py',
    '../_base_/tta/flip_multiscale.py'
]
tta_pipeline = [
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale=25, interpolation='bilinear'),
                dict(type='Resize', scale=28, interpolation='bilinear'),
                dict(type='Resize', scale=31, interpolation='bilinear'),
            ],
            [dict(type='CenterCrop', crop_size=28, auto_pad=True)],
            [
                dict(type='RandomFlip', prob=1., direction='horizontal'),
                dict(type='RandomFlip', prob=0., direction='horizontal'),
            ],
            [dict(type='PackInputs', algorithm_keys=['group_id'])],
        ]),
]
