# Flip x multi-scale test-time augmentation: MMPretrain's AverageClsScoreTTA
# over 6 views, the image at 0.9x, 1x and 1.1x of the 32x32 test size, each
# as is and mirrored. Used by `python tools/test.py CONFIG CHECKPOINT --tta`.
# See multiscale.py for why the 29- and 35-pixel views are padded / cropped
# back to 32x32 (ConvNeXt needs sides of at least 32) and flip.py for when
# flipping makes sense. For in-memory datasets tested at 32x32.
tta_model = dict(type='AverageClsScoreTTA')
tta_pipeline = [
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale=29, interpolation='bilinear'),
                dict(type='Resize', scale=32, interpolation='bilinear'),
                dict(type='Resize', scale=35, interpolation='bilinear'),
            ],
            [dict(type='CenterCrop', crop_size=32, auto_pad=True)],
            [
                dict(type='RandomFlip', prob=1., direction='horizontal'),
                dict(type='RandomFlip', prob=0., direction='horizontal'),
            ],
            [dict(type='PackInputs', algorithm_keys=['group_id'])],
        ]),
]
