"""Loaded images through dataset wrappers, and one-channel models."""
import numpy as np
import pytest

from mmlt.deploy.data import _with_pipeline, reference_inputs
from mmlt.deploy.preprocess import build_spec, preprocess_batch

pytestmark = pytest.mark.usefixtures('one_thread')


def test_pipeline_goes_to_the_image_datasets_through_wrappers():
    loading = [dict(type='LoadImageFromFile')]
    cfg = dict(type='LongTailDataset', imbalance_ratio=100,
               dataset=dict(type='FashionMNIST', pipeline=[
                   dict(type='RandomFlip'), dict(type='PackInputs')]))
    _with_pipeline(cfg, loading)
    assert 'pipeline' not in cfg
    assert cfg['dataset']['pipeline'] == loading
    concat = dict(type='ConcatDataset', datasets=[
        dict(type='A', pipeline=[]), dict(type='RepeatDataset', times=2,
                                          dataset=dict(type='B'))])
    _with_pipeline(concat, loading)
    assert concat['datasets'][0]['pipeline'] == loading
    assert concat['datasets'][1]['dataset']['pipeline'] == loading


def test_grey_images_of_a_one_channel_model():
    from mmpretrain.models.utils import ClsDataPreprocessor
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (28, 28), dtype=np.uint8)
              for _ in range(3)]
    pipeline = [dict(type='PackInputs')]
    dp = ClsDataPreprocessor(mean=[72.94], std=[90.02], to_rgb=False)
    spec = build_spec(pipeline, dp, [1, 28, 28], [str(i) for i in range(10)])
    assert spec['input']['channels'] == 1
    assert spec['input']['order'] == 'grey'
    expected = reference_inputs(images, pipeline, dp).numpy()
    assert expected.shape == (3, 1, 28, 28)
    np.testing.assert_array_equal(preprocess_batch(images, spec), expected)
