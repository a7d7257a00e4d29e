"""CAM-based sampling's pure functions: counts, sources, mask, transforms."""
import numpy as np
import pytest

from mmlt.cam.sampling import (FOREGROUND_TRANSFORMS, ROTATION_RANGE,
                               SCALE_RANGE, apply_transform, cam_augment,
                               composite, draw_sources, foreground_mask,
                               generation_counts, sample_transform)

COUNTS = np.array([500, 120, 30, 7])


# ------------------------------------------------------------------ counts
@pytest.mark.parametrize('target,expected', [('max_plus_min', 507),
                                             ('max', 500), (600, 600)])
def test_generated_images_reach_balance(target, expected):
    generated = generation_counts(COUNTS, target)
    assert (COUNTS + generated == expected).all()
    assert generated.dtype == np.int64


def test_max_plus_min_is_the_official_rule():
    # num_absent = max(num_list) + min(num_list) - num
    generated = generation_counts(COUNTS)
    assert generated.tolist() == [
        COUNTS.max() + COUNTS.min() - n for n in COUNTS]


def test_a_class_above_the_target_gets_nothing():
    assert generation_counts(COUNTS, 100).tolist() == [0, 0, 70, 93]


def test_max_per_class_caps_every_class():
    generated = generation_counts(COUNTS, 'max', max_per_class=100)
    assert generated.tolist() == [0, 100, 100, 100]
    assert generation_counts(COUNTS, 'max', max_per_class=0).sum() == 0


def test_square_sampling_brings_classes_to_their_sqrt_share():
    generated = generation_counts(COUNTS, 'max', strategy='sqrt')
    after = COUNTS + generated
    expected = np.rint(500 * np.sqrt(COUNTS / 500))
    assert after.tolist() == expected.astype(int).tolist()
    assert generated[0] == 0


@pytest.mark.parametrize('kwargs,match', [
    (dict(target='median'), "target='median'"),
    (dict(target=0), 'target=0'),
    (dict(target=True), 'target=True'),
    (dict(max_per_class=-1), 'max_per_class=-1'),
    (dict(max_per_class=2.5), 'max_per_class=2.5'),
    (dict(strategy='progressive'), "strategy='progressive'"),
    (dict(strategy='uniform'), "strategy='uniform'"),
])
def test_bad_count_arguments_name_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generation_counts(COUNTS, **kwargs)


def test_a_class_without_images_is_named():
    with pytest.raises(ValueError, match='2 \\(cat\\)'):
        generation_counts([5, 3, 0], classes=['a', 'b', 'cat'])
    with pytest.raises(ValueError, match=r'\[2\]'):
        generation_counts([5, 3, 0], strategy='sqrt')


# ----------------------------------------------------------------- sources
def test_sources_have_the_right_class_and_count_and_repeat_with_a_seed():
    labels = np.repeat(np.arange(4), COUNTS)
    generated = generation_counts(COUNTS)
    sources = draw_sources(labels, generated, seed=3)
    assert len(sources) == generated.sum()
    assert np.bincount(labels[sources], minlength=4).tolist() == \
        generated.tolist()
    # class by class, in class order
    assert (np.diff(labels[sources]) >= 0).all()
    assert np.array_equal(sources, draw_sources(labels, generated, seed=3))
    assert not np.array_equal(sources, draw_sources(labels, generated, 4))


def test_sources_cover_the_class_uniformly():
    labels = np.zeros(10, dtype=np.int64)
    sources = draw_sources(labels, [20000], seed=0)
    freq = np.bincount(sources, minlength=10) / 20000
    assert np.allclose(freq, 0.1, atol=0.015)


# ------------------------------------------------------------------- mask
def test_foreground_is_the_normalised_cam_above_three_quarters_of_its_mean():
    cam = np.array([[-2., 0.], [2., 6.]])
    norm = (cam + 2) / 8  # [[0, .25], [.5, 1]], mean 0.4375
    assert np.array_equal(foreground_mask(cam), norm >= 0.75 * norm.mean())
    assert foreground_mask(cam).tolist() == [[False, False], [True, True]]
    assert foreground_mask(cam, mean_ratio=0.5).tolist() == [[False, True],
                                                              [True, True]]


def test_a_flat_cam_is_all_foreground():
    assert foreground_mask(np.full((3, 4), 7.0)).all()


@pytest.mark.parametrize('cam,ratio,match', [
    (np.zeros(4), 0.75, 'shape'),
    (np.array([[np.nan, 1.0]]), 0.75, 'NaN'),
    (np.zeros((2, 2)), -1.0, 'mean_ratio=-1.0'),
])
def test_bad_mask_inputs_raise(cam, ratio, match):
    with pytest.raises(ValueError, match=match):
        foreground_mask(cam, ratio)


# -------------------------------------------------------------- transforms
def synthetic(channels=None):
    """A 6x10 image: textured background, a bright 3x3 object at columns
    1-3, and a CAM that is high on the object."""
    rng = np.random.default_rng(0)
    shape = (6, 10) if channels is None else (6, 10, channels)
    image = rng.integers(0, 50, size=shape).astype(np.uint8)
    image[2:5, 1:4] = 200 + np.arange(9).reshape(3, 3, *(
        () if channels is None else (1, ))).astype(np.uint8)
    cam = np.zeros((6, 10))
    cam[2:5, 1:4] = 10.0
    return image, cam


@pytest.mark.parametrize('channels', [None, 3])
def test_flip_keeps_background_bit_identical_and_mirrors_the_object(channels):
    image, cam = synthetic(channels)
    out, params = cam_augment(image, cam, 'flip', np.random.default_rng(0))
    assert params == dict(kind='flip')
    assert out.shape == image.shape and out.dtype == image.dtype
    fg = np.zeros((6, 10), bool)
    fg[2:5, 1:4] = True
    moved = fg[:, ::-1]  # columns 6-8
    keep = ~(fg | moved)
    assert np.array_equal(out[keep], image[keep])
    # the object, mirrored, now sits at columns 6-8
    assert np.array_equal(out[2:5, 6:9], image[2:5, 1:4][:, ::-1])
    # and its old place shows the flipped image there (no ghost object)
    assert np.array_equal(out[2:5, 1:4], image[2:5, 6:9][:, ::-1])


def test_translate_moves_the_object_inside_the_image():
    image, cam = synthetic()
    fg = np.zeros((6, 10), bool)
    fg[2:5, 1:4] = True
    for seed in range(20):
        rng = np.random.default_rng(seed)
        params = sample_transform('translate', fg, rng)
        assert -1 <= params['dx'] <= 6 and -2 <= params['dy'] <= 1
        out, p = cam_augment(image, cam, 'translate',
                             np.random.default_rng(seed))
        assert p == params
        dx, dy = p['dx'], p['dy']
        moved = np.zeros_like(fg)
        moved[2 + dy:5 + dy, 1 + dx:4 + dx] = True
        keep = ~(fg | moved)
        assert np.array_equal(out[keep], image[keep])
        assert np.array_equal(out[2 + dy:5 + dy, 1 + dx:4 + dx],
                              image[2:5, 1:4])


def test_rotate_scale_parameters_and_background():
    image, cam = synthetic(3)
    fg = foreground_mask(cam)
    params = sample_transform('rotate_scale', fg, np.random.default_rng(1))
    assert ROTATION_RANGE[0] <= params['angle'] <= ROTATION_RANGE[1]
    assert SCALE_RANGE[0] <= params['scale'] <= SCALE_RANGE[1]
    assert params['center'] == (2.0, 3.0)  # centre of the object's box
    out, _ = cam_augment(image, cam, 'rotate_scale',
                         np.random.default_rng(1))
    moved = apply_transform(fg, params, nearest=True)
    keep = ~(fg | moved)
    assert np.array_equal(out[keep], image[keep])
    assert not np.array_equal(out, image)


def test_same_seed_same_image_and_random_uses_all_three():
    image, cam = synthetic()
    kinds = set()
    for seed in range(30):
        a, pa = cam_augment(image, cam, 'random', np.random.default_rng(seed))
        b, pb = cam_augment(image, cam, 'random', np.random.default_rng(seed))
        assert np.array_equal(a, b) and pa == pb
        kinds.add(pa['kind'])
    assert kinds == set(FOREGROUND_TRANSFORMS)


def test_random_skips_translate_when_the_foreground_spans_the_image():
    mask = np.ones((5, 7), bool)
    kinds = {sample_transform('random', mask, np.random.default_rng(s))['kind']
             for s in range(40)}
    assert kinds == {'flip', 'rotate_scale'}
    assert sample_transform('translate', mask, np.random.default_rng(0)) == \
        dict(kind='translate', dx=0, dy=0)


def test_rotation_keeps_a_one_channel_axis():
    image = np.zeros((6, 10, 1), np.uint8)
    params = dict(kind='rotate_scale', angle=30.0, scale=1.0,
                  center=(4.0, 3.0))
    assert apply_transform(image, params).shape == (6, 10, 1)


def test_composite_is_a_per_pixel_choice():
    original = np.zeros((2, 3, 3), np.uint8)
    transformed = np.full((2, 3, 3), 9, np.uint8)
    region = np.array([[True, False, False], [False, False, True]])
    out = composite(original, transformed, region)
    assert out[0, 0].tolist() == [9, 9, 9] and out[1, 2].tolist() == [9] * 3
    assert out[~region].max() == 0
    with pytest.raises(ValueError, match='shapes differ'):
        composite(original, transformed, region[:, :2])


@pytest.mark.parametrize('kind', ['shear', 'Flip'])
def test_unknown_transform_is_named(kind):
    image, cam = synthetic()
    with pytest.raises(ValueError, match=f'transform={kind!r}'):
        cam_augment(image, cam, kind, np.random.default_rng(0))


def test_cam_must_match_the_image():
    image, cam = synthetic()
    with pytest.raises(ValueError, match=r'\(3, 3\).*\(6, 10\)'):
        cam_augment(image, cam[:3, :3], 'flip', np.random.default_rng(0))
