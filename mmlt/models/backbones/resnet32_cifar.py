"""The CIFAR ResNet of the long-tail papers (ResNet-32 by default)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.backbones.resnet import BasicBlock
from torch import nn

from mmlt.registry import MODELS

__all__ = ['ResNetCIFARLT', 'ZeroPadShortcut']


class ZeroPadShortcut(nn.Module):
    """Parameter-free shortcut (He et al. 2016, option A).

    Subsamples the identity by ``stride`` and pads the new channels with
    zeros, half before and half after the existing ones (the channel layout
    of the LDAM-DRW code, Cao et al. 2019).

    Args:
        in_channels: Channels of the input.
        out_channels: Channels of the output (>= ``in_channels``).
        stride: Spatial subsampling factor.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(f'a zero-padding shortcut cannot reduce channels '
                             f'({in_channels} -> {out_channels})')
        self.stride = stride
        extra = out_channels - in_channels
        self.pad_before, self.pad_after = extra // 2, extra - extra // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        # F.pad pads the last dims first: (W, W, H, H, C, C)
        return F.pad(x, (0, 0, 0, 0, self.pad_before, self.pad_after))

    def extra_repr(self) -> str:
        return (f'stride={self.stride}, pad=({self.pad_before}, '
                f'{self.pad_after})')


@MODELS.register_module()
class ResNetCIFARLT(BaseBackbone):
    """The thin CIFAR ResNet (He et al., "Deep Residual Learning for Image
    Recognition", CVPR 2016, Sec. 4.2) that CIFAR-LT papers train: LDAM-DRW
    (Cao et al., NeurIPS 2019), BBN (Zhou et al., CVPR 2020) and the bag of
    tricks (Zhang et al., AAAI 2021) report CIFAR-LT with ResNet-32.

    A 3x3 stem convolution to 16 channels, then 3 stages of ``n`` basic
    blocks with 16, 32 and 64 channels, the first block of stages 2 and 3
    with stride 2; ``depth = 6n + 2`` (32: ``n = 5``, 31 convolutions
    plus the classifier). For a 32x32 input the stages give 32x32, 16x16 and
    8x8 maps; with ``GlobalAveragePooling`` the feature has 64 channels.

    MMPretrain's ``ResNet_CIFAR`` is not this network: it is the ImageNet
    ResNet (depth 18/34/50/101/152, 64-512 channels, 4 stages) with a 3x3
    stem (mmpretrain/models/backbones/resnet_cifar.py, resnet.py
    ``arch_settings``): ResNet-18 has 11M parameters, ResNet-32 0.46M.

    Shortcuts: ``'A'`` (default) is the parameter-free zero-padding identity
    of He et al.'s CIFAR experiments and of the LDAM-DRW code, so the
    network has He et al.'s 0.46M parameters; ``'B'`` a 1x1 convolution +
    norm where the shape changes (He et al.'s option B). Blocks are
    MMPretrain's ``BasicBlock``. Convolutions are initialised as
    ``torch.nn.init.kaiming_normal_`` does by default (fan-in, ReLU gain),
    as in the LDAM-DRW code; norms to weight 1, bias 0.

    Args:
        depth: ``6n + 2`` (20, 32, 44, 56, 110 in He et al.); 32 in the
            long-tail papers.
        in_channels: Input image channels.
        stem_channels: Output channels of the stem (He et al.: 16).
        base_channels: Channels of stage 1, doubled at each stage (16).
        shortcut: ``'A'`` (zero padding) or ``'B'`` (projection).
        out_indices: Stages (0, 1, 2; negative counts from the end) whose
            outputs are returned, as a tuple in stage order.
        frozen_stages: Freeze the stem and stages ``1..frozen_stages``
            (-1: none), e.g. for classifier re-training (Kang et al. 2020).
        norm_eval: Keep norm layers in eval mode while training.
        conv_cfg: Convolution config (None: ``nn.Conv2d``).
        norm_cfg: Norm layer config.
        init_cfg: Weight initialisation.
    """

    num_stages = 3

    def __init__(self,
                 depth: int = 32,
                 in_channels: int = 3,
                 stem_channels: int = 16,
                 base_channels: int = 16,
                 shortcut: str = 'A',
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Union[dict, List[dict], None] = [
                     dict(type='Kaiming', layer='Conv2d', mode='fan_in',
                          nonlinearity='relu'),
                     dict(type='Constant', val=1,
                          layer=['_BatchNorm', 'GroupNorm'])
                 ]) -> None:
        super().__init__(init_cfg)
        if isinstance(depth, bool) or not isinstance(depth, int) or \
                depth < 8 or (depth - 2) % 6:
            raise ValueError(f'depth={depth!r} must be 6n + 2 with n >= 1 '
                             '(20, 32, 44, 56, 110...)')
        if shortcut not in ('A', 'B'):
            raise ValueError(f'shortcut={shortcut!r} must be "A" (zero '
                             'padding) or "B" (1x1 projection)')
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        indices = []
        for i in out_indices:
            if not -self.num_stages <= i < self.num_stages:
                raise ValueError(f'out_indices has {i}: stages are 0, 1, 2 '
                                 '(or -3..-1)')
            indices.append(i % self.num_stages)
        if not indices:
            raise ValueError('out_indices is empty: name at least one stage')
        if not -1 <= frozen_stages <= self.num_stages:
            raise ValueError(f'frozen_stages={frozen_stages} must be in '
                             f'[-1, {self.num_stages}]')
        self.depth = depth
        self.blocks_per_stage = (depth - 2) // 6
        self.shortcut = shortcut
        self.out_indices = tuple(sorted(set(indices)))
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg

        self.conv1 = build_conv_layer(
            conv_cfg, in_channels, stem_channels, kernel_size=3, stride=1,
            padding=1, bias=False)
        self.norm1_name, norm1 = build_norm_layer(
            norm_cfg, stem_channels, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.relu = nn.ReLU(inplace=True)

        self.res_layers = []
        channels = stem_channels
        for i in range(self.num_stages):
            out_channels = base_channels * 2**i
            layer = self._make_stage(channels, out_channels,
                                     stride=1 if i == 0 else 2)
            name = f'layer{i + 1}'
            self.add_module(name, layer)
            self.res_layers.append(name)
            channels = out_channels
        self.feat_dim = channels
        self._freeze_stages()

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    def _shortcut(self, in_channels: int, out_channels: int,
                  stride: int) -> Optional[nn.Module]:
        if stride == 1 and in_channels == out_channels:
            return None
        if self.shortcut == 'A':
            return ZeroPadShortcut(in_channels, out_channels, stride)
        return nn.Sequential(
            build_conv_layer(self.conv_cfg, in_channels, out_channels,
                             kernel_size=1, stride=stride, bias=False),
            build_norm_layer(self.norm_cfg, out_channels)[1])

    def _make_stage(self, in_channels: int, out_channels: int,
                    stride: int) -> nn.Sequential:
        blocks = []
        for j in range(self.blocks_per_stage):
            block_in = in_channels if j == 0 else out_channels
            block_stride = stride if j == 0 else 1
            blocks.append(
                BasicBlock(
                    block_in,
                    out_channels,
                    stride=block_stride,
                    downsample=self._shortcut(block_in, out_channels,
                                              block_stride),
                    conv_cfg=self.conv_cfg,
                    norm_cfg=self.norm_cfg))
        return nn.Sequential(*blocks)

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen = [self.conv1, self.norm1] + [
            getattr(self, f'layer{i}')
            for i in range(1, self.frozen_stages + 1)
        ]
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.relu(self.norm1(self.conv1(x)))
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'ResNetCIFARLT':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self
