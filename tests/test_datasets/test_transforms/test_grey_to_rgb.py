"""GreyToRGB: a grey image becomes three equal channels; anything else is
refused with its shape (and file)."""
import numpy as np
import pytest

from mmlt.datasets.transforms import GreyToRGB
from mmlt.registry import TRANSFORMS


@pytest.mark.parametrize('shape', [(6, 8), (6, 8, 1)])
def test_grey_becomes_three_equal_channels(shape):
    img = np.arange(48, dtype=np.uint8).reshape(shape)
    out = GreyToRGB()(dict(img=img.copy()))
    assert out['img'].shape == (6, 8, 3)
    assert out['img'].dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(out['img'][:, :, c], img.reshape(6, 8))
    assert out['img_shape'] == (6, 8)


def test_is_registered_for_configs():
    assert isinstance(TRANSFORMS.build(dict(type='GreyToRGB')), GreyToRGB)


def test_colour_image_is_refused_with_its_shape_and_file():
    with pytest.raises(ValueError, match=r'\(6, 8, 3\) of a/b\.png'):
        GreyToRGB()(dict(img=np.zeros((6, 8, 3), np.uint8),
                         img_path='a/b.png'))
    with pytest.raises(TypeError, match='numpy array, got list'):
        GreyToRGB()(dict(img=[[0]]))
