"""ResNetCIFARLT: the CIFAR ResNet-32 of the long-tail papers."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from torch import nn

import mmlt  # noqa: F401
from mmlt.models.backbones import ResNetCIFARLT, ZeroPadShortcut
from mmlt.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
MODEL_CFG = osp.join(ROOT, 'configs', '_base_', 'models',
                     'resnet32_cifar_lt.py')


def _num_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_resnet32_has_he_et_al_parameter_count():
    # Counted by hand (3x3 convs without bias, BN weight + bias, option A
    # shortcuts have no parameters):
    #   stem     3*16*9 + 2*16                                   =     464
    #   stage 1  5 * (2 * 16*16*9 + 4*16)                        =  23,360
    #   stage 2  (16*32*9 + 32*32*9 + 4*32)
    #            + 4 * (2 * 32*32*9 + 4*32)                      =  88,192
    #   stage 3  (32*64*9 + 64*64*9 + 4*64)
    #            + 4 * (2 * 64*64*9 + 4*64)                      = 351,488
    # backbone 463,504; with the 10-class classifier (64*10 + 10) 464,154,
    # He et al. 2016 (Table 6) and the LDAM-DRW code: "ResNet-32, 0.46M".
    backbone = ResNetCIFARLT()
    assert _num_params(backbone) == 463_504
    assert round((463_504 + 64 * 10 + 10) / 1e6, 2) == 0.46


@pytest.mark.parametrize('depth,millions', [(20, 0.27), (32, 0.46),
                                            (44, 0.66), (56, 0.85),
                                            (110, 1.7)])
def test_the_6n_plus_2_family_matches_he_et_al(depth, millions):
    # He et al. 2016, Table 6: parameters of the 10-class CIFAR networks
    total = _num_params(ResNetCIFARLT(depth=depth)) + 64 * 10 + 10
    digits = 1 if millions >= 1 else 2
    assert round(total / 1e6, digits) == millions


def test_32_weighted_layers_31_convs_and_the_classifier():
    model = MODELS.build(Config.fromfile(MODEL_CFG).model)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(convs) == 31 and all(c.kernel_size == (3, 3) for c in convs)
    assert len(linears) == 1 and linears[0].in_features == 64
    assert len(convs) + len(linears) == 32


def test_stage_shapes_for_a_32x32_input():
    backbone = ResNetCIFARLT(out_indices=(0, 1, 2))
    outs = backbone(torch.randn(2, 3, 32, 32))
    assert isinstance(outs, tuple)
    assert [tuple(o.shape) for o in outs] == [(2, 16, 32, 32),
                                              (2, 32, 16, 16),
                                              (2, 64, 8, 8)]
    # default: the last stage only, as MMPretrain backbones return
    (last, ) = ResNetCIFARLT()(torch.randn(1, 3, 32, 32))
    assert tuple(last.shape) == (1, 64, 8, 8)
    assert ResNetCIFARLT(out_indices=(-1, )).out_indices == (2, )
    assert ResNetCIFARLT().feat_dim == 64


def test_stages_and_downsampling_blocks():
    backbone = ResNetCIFARLT()
    for i, (name, channels) in enumerate(zip(backbone.res_layers,
                                             (16, 32, 64))):
        stage = getattr(backbone, name)
        assert len(stage) == 5
        first = stage[0]
        assert first.conv1.stride == ((1, 1) if i == 0 else (2, 2))
        assert first.conv2.out_channels == channels
        # option A: a zero-padding shortcut where the shape changes only
        assert (first.downsample is None) == (i == 0)
        if i:
            assert isinstance(first.downsample, ZeroPadShortcut)
        assert all(block.downsample is None for block in stage[1:])


def test_zero_pad_shortcut_is_a_subsampled_identity():
    x = torch.randn(2, 16, 8, 8)
    y = ZeroPadShortcut(16, 32, 2)(x)
    assert y.shape == (2, 32, 4, 4)
    # half of the new channels before, half after (as the LDAM-DRW code)
    assert torch.equal(y[:, 8:24], x[:, :, ::2, ::2])
    assert not y[:, :8].any() and not y[:, 24:].any()
    with pytest.raises(ValueError, match='32 -> 16'):
        ZeroPadShortcut(32, 16, 1)


def test_option_b_adds_projections():
    backbone = ResNetCIFARLT(shortcut='B')
    # two 1x1 projections (16->32, 32->64) with their norms
    extra = 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64
    assert _num_params(backbone) == 463_504 + extra
    assert tuple(backbone(torch.randn(1, 3, 32, 32))[0].shape) == (1, 64, 8,
                                                                   8)


def test_kaiming_fan_in_init_as_the_ldam_code():
    torch.manual_seed(0)
    backbone = ResNetCIFARLT()
    backbone.init_weights()
    weight = backbone.layer3[1].conv1.weight  # fan-in 64*9
    expected = (2 / (64 * 9))**0.5
    assert weight.std().item() == pytest.approx(expected, rel=0.05)
    norm = backbone.layer3[1].bn1
    assert torch.equal(norm.weight, torch.ones(64)) and not norm.bias.any()


def test_the_model_config_classifies():
    cfg = Config.fromfile(MODEL_CFG)
    model = MODELS.build(cfg.model)
    model.init_weights()
    logits = model(torch.randn(4, 3, 32, 32))
    assert tuple(logits.shape) == (4, 10)


def test_frozen_stages_and_norm_eval():
    backbone = ResNetCIFARLT(frozen_stages=1, norm_eval=True)
    backbone.train()
    assert not any(p.requires_grad for p in backbone.conv1.parameters())
    assert not any(p.requires_grad for p in backbone.layer1.parameters())
    assert all(p.requires_grad for p in backbone.layer2.parameters())
    assert not backbone.layer1.training
    assert not any(m.training for m in backbone.modules()
                   if isinstance(m, nn.BatchNorm2d))


def test_mmpretrain_resnet_cifar_has_no_depth_32():
    # MMPretrain's ResNet_CIFAR is the ImageNet ResNet (18/34/50/101/152)
    with pytest.raises(KeyError, match='32'):
        MODELS.build(dict(type='ResNet_CIFAR', depth=32))


@pytest.mark.parametrize('kwargs,match', [
    (dict(depth=33), 'depth=33'),
    (dict(depth=2), 'depth=2'),
    (dict(depth=32.0), 'depth=32.0'),
    (dict(shortcut='C'), "shortcut='C'"),
    (dict(out_indices=(3, )), 'out_indices has 3'),
    (dict(out_indices=()), 'out_indices is empty'),
    (dict(frozen_stages=4), 'frozen_stages=4'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ResNetCIFARLT(**kwargs)
