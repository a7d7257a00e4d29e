"""preprocess.json reproduces the test pipeline + data preprocessor
exactly, and refuses what it cannot express."""
import json

import numpy as np
import pytest
from mmengine.config import Config

from mmlt.deploy.data import build_loaded_dataset, reference_inputs
from mmlt.deploy.preprocess import (PreprocessError, build_spec,
                                    pipeline_steps, preprocess_batch,
                                    read_spec, split_loading, write_spec)
from conftest import DIGITS

pytestmark = pytest.mark.usefixtures('one_thread')


def _preprocessor(**kwargs):
    from mmpretrain.models.utils import ClsDataPreprocessor
    return ClsDataPreprocessor(**kwargs)


def test_digits_pipeline_tensor_is_reproduced_exactly(tmp_path):
    cfg = Config.fromfile(DIGITS)
    loading, rest = split_loading(cfg.test_dataloader.dataset.pipeline)
    assert loading == []  # DigitsLT holds the images
    test = build_loaded_dataset(cfg.test_dataloader.dataset, loading)
    images = [test[i]['img'] for i in range(40)]
    dp = _preprocessor(**{k: v for k, v in cfg.data_preprocessor.items()
                          if k != 'num_classes'})
    spec = build_spec(rest, dp, [3, 32, 32], [str(i) for i in range(10)])
    # through the file, as a user without mmlt would read it
    spec = read_spec(write_spec(spec, str(tmp_path)))
    expected = reference_inputs(images, rest, dp).numpy()
    np.testing.assert_array_equal(preprocess_batch(images, spec), expected)
    assert spec['steps'] == [
        dict(type='resize', size=[32, 32], interpolation='bilinear')
    ]
    assert spec['mean'] == pytest.approx([77.85] * 3)
    assert spec['to_rgb'] is False


def test_resize_edge_center_crop_and_bgr_to_rgb(tmp_path):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
              for h, w in ((50, 37), (29, 64), (40, 40))]
    pipeline = [
        dict(type='ResizeEdge', scale=36, edge='short',
             interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=32),
        dict(type='PackInputs'),
    ]
    dp = _preprocessor(mean=[123.675, 116.28, 103.53],
                       std=[58.395, 57.12, 57.375], to_rgb=True)
    spec = build_spec(pipeline, dp, [3, 32, 32], ['a', 'b'])
    expected = reference_inputs(images, pipeline, dp).numpy()
    got = preprocess_batch(images, spec)
    np.testing.assert_array_equal(got, expected)
    # the channel flip matters: without it the tensors differ
    flipped = dict(spec, to_rgb=False)
    assert not np.array_equal(preprocess_batch(images, flipped), expected)


@pytest.mark.parametrize('step, match', [
    (dict(type='RandomFlip', prob=0.5), r'step 0 \(RandomFlip\)'),
    (dict(type='Resize', scale=32, keep_ratio=True), 'keep_ratio=True'),
    (dict(type='Resize', scale=32, backend='pillow'), "backend 'pillow'"),
    (dict(type='ResizeEdge', scale=32, interpolation='hamming'),
     "interpolation 'hamming'"),
    (dict(type='CenterCrop', crop_size=32, auto_pad=True), 'auto_pad=True'),
])
def test_steps_it_cannot_express_are_refused_by_name(step, match):
    with pytest.raises(PreprocessError, match=match):
        pipeline_steps([step, dict(type='PackInputs')])


def test_bad_preprocessor_and_spec_files(tmp_path):
    with pytest.raises(PreprocessError, match='pad_size_divisor=32'):
        build_spec([dict(type='PackInputs')],
                   _preprocessor(pad_size_divisor=32), [3, 8, 8], ['a'])
    missing = tmp_path / 'nowhere' / 'preprocess.json'
    with pytest.raises(FileNotFoundError, match=str(missing)):
        read_spec(str(missing))
    bad = tmp_path / 'preprocess.json'
    bad.write_text(json.dumps(dict(format_version=99)))
    with pytest.raises(ValueError, match='format_version must be 1'):
        read_spec(str(bad))
    spec = build_spec([dict(type='PackInputs')], _preprocessor(), [3, 8, 8],
                      ['a'])
    with pytest.raises(ValueError, match=r'shape \(3, 9, 8\).*\(3, 8, 8\)'):
        preprocess_batch([np.zeros((9, 8, 3), np.uint8)], spec)
