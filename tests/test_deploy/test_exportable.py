"""The exported module is the model's predict: the main head of deep
supervision, post-hoc adjustments included."""
import numpy as np
import onnx
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.deploy.exportable import ScoresModule, check_exportable
from mmlt.deploy.onnx_export import export_onnx
from mmlt.deploy.session import create_session
from model_helpers import tiny_convnext

pytestmark = pytest.mark.usefixtures('one_thread')


def _head(**kwargs):
    return dict(type='LTLinearClsHead', num_classes=10, in_channels=16,
                loss=dict(type='CrossEntropyLoss'), **kwargs)


def _predict_scores(model, x):
    with torch.no_grad():
        return torch.stack([s.pred_score for s in model(x, mode='predict')])


@pytest.mark.parametrize('head', [
    _head(logit_adjust_tau=1.0),
    _head(tau_norm=0.5),
])
def test_scores_module_equals_predict_with_post_hoc_heads(head):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='ImageClassifier',
                              backbone=tiny_convnext(), head=head)).eval()
    model.head.set_class_counts([100, 60, 40, 30, 20, 15, 10, 8, 5, 3])
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        plain = torch.softmax(model(x, mode='tensor'), dim=1)
        got = ScoresModule(model).eval()(x)
    expected = _predict_scores(model, x)
    torch.testing.assert_close(got, expected)
    # the adjustment is in the exported path, not only the plain logits
    assert not torch.allclose(plain, expected, atol=1e-3)


def test_deep_supervision_exports_the_main_head_only(tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=tiny_convnext(out_indices=(0, 1)),
        head=dict(type='DeepSupervisionHead', head=_head(), aux_stages=(0, ),
                  aux_in_channels=(8, )))).eval()
    check_exportable(model, [3, 32, 32])
    path = export_onnx(ScoresModule(model), str(tmp_path / 'ds.onnx'),
                       [3, 32, 32])
    names = [i.name for i in onnx.load(path).graph.initializer]
    assert any('main_head' in n for n in names)
    assert not any('aux' in n for n in names)
    x = torch.randn(3, 3, 32, 32)
    got = create_session(path, 1).run(None, {'inputs': x.numpy()})[0]
    np.testing.assert_allclose(got, _predict_scores(model, x).numpy(),
                               atol=1e-5)
