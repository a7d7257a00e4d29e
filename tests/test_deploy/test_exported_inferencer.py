"""ExportedInferencer returns what MMPretrain's inferencer returns, and
tools/deployment/test_exported.py evaluates as the export report does."""
import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmlt.apis import ExportedInferencer
from mmlt.deploy.data import build_loaded_dataset

pytestmark = pytest.mark.usefixtures('one_thread')


def test_same_output_as_mmpretrain_inferencer(trained, exported, tmp_path):
    from mmpretrain.apis import ImageClassificationInferencer
    cfg_file, ckpt = trained
    cfg = Config.fromfile(cfg_file)
    test = build_loaded_dataset(cfg.test_dataloader.dataset, [])
    images = [test[i]['img'] for i in range(12)]
    expected = ImageClassificationInferencer(cfg, pretrained=ckpt,
                                             device='cpu')(images)
    ours = ExportedInferencer(exported.files['onnx'], num_threads=1)
    got = ours(images, batch_size=5)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert set(a) == set(b) == {'pred_scores', 'pred_label',
                                    'pred_score', 'pred_class'}
        np.testing.assert_allclose(a['pred_scores'], b['pred_scores'],
                                   atol=1e-4)
        assert a['pred_label'] == b['pred_label']
        assert a['pred_class'] == b['pred_class']
        assert a['pred_score'] == pytest.approx(b['pred_score'], abs=1e-4)
    # a file on disk is read as MMCV reads it (BGR)
    path = str(tmp_path / 'digit.png')
    cv2.imwrite(path, images[0])
    from_file = ours(path)[0]
    np.testing.assert_array_equal(from_file['pred_scores'],
                                  got[0]['pred_scores'])


def test_bad_inputs_are_named(exported, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        ExportedInferencer(str(tmp_path / 'missing.onnx'))
    inferencer = ExportedInferencer(exported.files['int8'], num_threads=1)
    with pytest.raises(FileNotFoundError, match='no_such.png'):
        inferencer(str(tmp_path / 'no_such.png'))
    with pytest.raises(ValueError, match='batch_size must be a positive'):
        inferencer([], batch_size=0)


def test_test_exported_tool_matches_the_report(trained, exported, capsys):
    from tools.deployment.test_exported import main
    assert main([trained[0], exported.files['int8']]) == 0
    printed = capsys.readouterr().out
    int8 = exported.rows['ONNX int8']['metrics']
    assert f"balanced_accuracy: {int8['balanced_accuracy']:.4f}" in printed
    assert f"few_shot: {int8['few_shot']:.4f}" in printed
