"""TIMMStages: timm's stage outputs plus the final feature map after the
head convolution, the same tensors (and checkpoint keys) as TIMMBackbone."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.models.backbones import TIMMBackbone

import mmlt  # noqa: F401
from mmlt.registry import MODELS

pytestmark = pytest.mark.usefixtures('one_thread')


def _build(**kw):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(dict(type='TIMMStages',
                                 model_name='tf_efficientnet_lite0', **kw))


def test_stages_then_the_final_map_of_timm_backbone():
    torch.manual_seed(0)
    stages = _build(out_indices=(1, 2, 3))
    assert stages.out_channels == (24, 40, 112, 1280)
    plain = TIMMBackbone('tf_efficientnet_lite0')
    # (MMPretrain's backbones' train() returns None: no chaining)
    stages.eval()
    plain.eval()
    # the same keys: a TIMMBackbone checkpoint loads tensor for tensor
    plain.load_state_dict(stages.state_dict())
    x = torch.randn(2, 3, 60, 80)
    with torch.no_grad():
        outs = stages(x)
        final = plain(x)[0]
    assert [tuple(o.shape[1:]) for o in outs] == [
        (24, 15, 20), (40, 8, 10), (112, 4, 5), (1280, 2, 3)]
    torch.testing.assert_close(outs[-1], final)


@pytest.mark.parametrize('indices', [(3, 1), (1, 9), (), (-1, 2)])
def test_bad_indices_name_the_stages(indices):
    with pytest.raises(ValueError, match=r'0: 16, 1: 24, 2: 40'):
        _build(out_indices=indices)


def test_features_only_is_refused():
    with pytest.raises(ValueError, match='features_only=True'):
        _build(features_only=True)
