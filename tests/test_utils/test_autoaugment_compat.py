"""MMPretrain's AutoAugment applies its hparams (pad_val) to the transforms
it builds (MMPretrain 1.2 built them from the policies before the merge, so
a rotated colour image was padded with (128, 0, 0) whatever pad_val said)."""
import numpy as np

import mmlt  # noqa: F401  (applies the patch)
from mmpretrain.registry import TRANSFORMS


def _rotated(hparams):
    t = TRANSFORMS.build(dict(
        type='AutoAugment',
        policies=[[dict(type='Rotate', angle=45., prob=1.)]], **hparams))
    img = np.full((16, 16, 3), 255, np.uint8)
    return t, t(dict(img=img))['img']


def test_pad_val_reaches_the_built_transforms():
    t, out = _rotated(dict(hparams=dict(pad_val=0)))
    assert t.policies[0][0]['pad_val'] == 0
    assert t.transforms[0].transforms[0].pad_val == 0
    np.testing.assert_array_equal(out[0, 0], [0, 0, 0])


def test_a_pad_value_per_channel_reaches_them_too():
    _, out = _rotated(dict(hparams=dict(pad_val=(1, 2, 3))))
    np.testing.assert_array_equal(out[0, 0], [1, 2, 3])


def test_preset_policies_take_the_hparams():
    t = TRANSFORMS.build(dict(type='AutoAugment', policies='imagenet',
                              hparams=dict(pad_val=7)))
    rotates = [op for sub in t.transforms for op in sub.transforms
               if type(op).__name__ == 'Rotate']
    assert rotates and all(op.pad_val == 7 for op in rotates)
