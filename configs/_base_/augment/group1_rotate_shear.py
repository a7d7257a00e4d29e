# The stronger augmentation of group 1 (group plan C): rotation by up to 15
# degrees and shear by up to 0.2, either way, each half of the time; black
# pads, bilinear interpolation. Geometric changes that keep an image's class,
# as the affine distortions of handwritten-digit training (Simard et al.,
# ICDAR 2003). A config inherits this fragment and puts the list (alone or
# inside its own) into ApplyByGroup(pipelines={1: ...}) of its training
# pipeline, as `_base_.group1_augment`.
group1_augment = [
    # rotate by up to 15 degrees either way, half of the time
    dict(
        type='Rotate',
        magnitude_range=(0, 15),
        # uniform in the range (MMPretrain's default is always its end)
        magnitude_std='inf',
        prob=0.5,
        pad_val=0,
        interpolation='bilinear'),
    # shear by up to 0.2 either way, half of the time
    dict(
        type='Shear',
        magnitude_range=(0, 0.2),
        # uniform in the range (MMPretrain's default is always its end)
        magnitude_std='inf',
        prob=0.5,
        pad_val=0,
        interpolation='bilinear'),
]
