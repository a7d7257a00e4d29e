# Multi-scale test-time augmentation: MMPretrain's AverageClsScoreTTA over the
# image resized to 0.9x, 1x and 1.1x of the 32x32 test size (29, 32, 35).
# Used by `python tools/test.py CONFIG CHECKPOINT --tta`.
#
# ConvNeXt downsamples by 32 (a stride-4 stem and three stride-2 layers
# without padding): a side below 32 fails ("Kernel size can't be greater than
# actual input size"), and of a 35-pixel side only the first 32 pixels reach
# the last stage. So every view is brought back to 32x32: the 29-pixel image
# is padded with 0 (the background of digits and Fashion-MNIST) at the right
# and bottom, the 35-pixel one is centre-cropped (CenterCrop with auto_pad
# does both). The object is then 0.9x / 1.1x its usual size.
#
# As flip.py, tta_pipeline replaces the whole test pipeline: for in-memory
# datasets (digits, Fashion-MNIST, CIFAR) tested at 32x32.
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
            [dict(type='PackInputs', algorithm_keys=['group_id'])],
        ]),
]
