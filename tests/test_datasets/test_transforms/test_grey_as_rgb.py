"""GreyAsRGB: colour-image transforms (MMPretrain's RandAugment and
AutoAugment, which fail on a grey HxW image) run on three equal channels,
and the image comes back grey in the shape it came in."""
import numpy as np
import pytest

import mmlt  # noqa: F401  (registers the transform, fixes AutoAugment)
from mmlt.datasets.transforms import GreyAsRGB, iter_transforms
from mmlt.registry import TRANSFORMS

RAND = dict(type='RandAugment', policies='timm_increasing', num_policies=2,
            total_level=10, magnitude_level=9, magnitude_std=0.5,
            hparams=dict(pad_val=0))
AUTO = dict(type='AutoAugment', policies='imagenet', hparams=dict(pad_val=0))


def _grey(shape=(28, 28)):
    return np.random.RandomState(0).randint(0, 256, shape, np.uint8)


@pytest.mark.parametrize('policy', [RAND, AUTO], ids=['rand', 'auto'])
def test_the_policies_run_on_grey_images(policy):
    with pytest.raises(Exception):  # MMPretrain's ops index 3 channels
        for seed in range(50):
            np.random.seed(seed)
            TRANSFORMS.build(policy)(dict(img=_grey()))
    t = TRANSFORMS.build(dict(type='GreyAsRGB', transforms=[policy]))
    np.random.seed(0)
    changed = 0
    for _ in range(200):
        out = t(dict(img=_grey(), img_shape=(28, 28)))
        assert out['img'].shape == (28, 28)
        assert out['img'].dtype == np.uint8 and out['img_shape'] == (28, 28)
        changed += not np.array_equal(out['img'], _grey())
    assert changed > 100


def test_keeps_a_channel_axis_and_is_identity_without_transforms():
    img = _grey((5, 7, 1))
    out = GreyAsRGB([])(dict(img=img.copy()))
    np.testing.assert_array_equal(out['img'], img)


def test_nested_transforms_are_reachable():
    """LongTailContextHook hands class counts to transforms through
    ``transforms`` attributes."""
    t = GreyAsRGB([dict(type='RandomFlip', prob=1.0)])
    names = [type(x).__name__ for x in iter_transforms(t)]
    assert 'RandomFlip' in names


def test_refuses_colour_input_and_colour_output():
    with pytest.raises(ValueError, match=r'\(4, 4, 3\) of a\.png'):
        GreyAsRGB([])(dict(img=np.zeros((4, 4, 3), np.uint8),
                           img_path='a.png'))
    with pytest.raises(TypeError, match='numpy array, got list'):
        GreyAsRGB([])(dict(img=[[0]]))

    def tint(results):
        results['img'] = results['img'].copy()
        results['img'][..., 2] //= 2
        return results

    with pytest.raises(ValueError, match='made the three channels differ'):
        GreyAsRGB([tint])(dict(img=_grey()))
    with pytest.raises(TypeError, match='GreyAsRGB.transforms must be a '
                       'list'):
        GreyAsRGB(dict(type='RandomFlip'))
