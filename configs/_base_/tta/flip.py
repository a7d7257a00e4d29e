# Horizontal-flip test-time augmentation: the mean of MMPretrain's
# AverageClsScoreTTA over the image and its mirror. Used by
# `python tools/test.py CONFIG CHECKPOINT --tta`; without --tta the config
# tests as before.
#
# tta_pipeline replaces the whole test pipeline. This one is for datasets that
# hold decoded images in memory (digits, Fashion-MNIST, CIFAR: no loading
# step) and are tested at 32x32; prepend a LoadImageFromFile for file-based
# datasets. Flip only where the training pipeline flipped too (mirrored
# digits are not digits).
tta_model = dict(type='AverageClsScoreTTA')
tta_pipeline = [
    dict(type='Resize', scale=32, interpolation='bilinear'),
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
