# Flip x multi-scale test-time augmentation for file-based data at 80x60
# (configs/_base_/datasets/own_csv_60x80_bs32.py): MMPretrain's
# AverageClsScoreTTA over 6 views, the image resized to 0.9x, 1x and 1.1x
# of 80x60 (72x54, 80x60, 88x66; width x height), each as is and mirrored.
# Used by `python tools/test.py CONFIG CHECKPOINT --tta`. Unlike the 32x32
# in-memory sets of flip_multiscale.py, the views keep their size: every
# side stays above the 32 pixels ConvNeXt needs, and the pooled features do
# not depend on it. Flip only where training flipped too.
tta_model = dict(type='AverageClsScoreTTA')
tta_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale=(72, 54), interpolation='bilinear'),
                dict(type='Resize', scale=(80, 60), interpolation='bilinear'),
                dict(type='Resize', scale=(88, 66), interpolation='bilinear'),
            ],
            [
                dict(type='RandomFlip', prob=1., direction='horizontal'),
                dict(type='RandomFlip', prob=0., direction='horizontal'),
            ],
            [dict(type='PackInputs', algorithm_keys=['group_id'])],
        ]),
]
