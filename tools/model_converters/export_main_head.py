"""Export the main path of a DeepSupervisionHead / GroupMultiTaskHead model.

    python tools/model_converters/export_main_head.py CONFIG CHECKPOINT \
        OUT_CONFIG OUT_CHECKPOINT

Writes a config whose ``model.head`` is the wrapper's main head and a
checkpoint holding only ``state_dict`` with the auxiliary classifiers (deep
supervision) or the group classifier dropped and ``head.main_head.*``
renamed ``head.*``. The exported model predicts exactly as the training
model does (``predict`` already uses the main head only). The checkpoint is
read with mmlt's weights-only loader (see mmlt/utils/checkpoint_trust.py).
"""
import argparse

import torch
from mmengine.config import Config

import mmlt  # noqa: F401  (registers mmlt's heads)
from mmlt.models.heads import main_head_config, strip_auxiliary_heads
from mmlt.utils.checkpoint_trust import load_checkpoint_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out_config')
    parser.add_argument('out_checkpoint')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.model = main_head_config(cfg.model)
    ckpt = load_checkpoint_file(args.checkpoint, 'cpu', trusted=False)
    state = ckpt.get('state_dict', ckpt)
    torch.save({'state_dict': strip_auxiliary_heads(state)},
               args.out_checkpoint)
    cfg.dump(args.out_config)
    print(f'main head exported to {args.out_config} and '
          f'{args.out_checkpoint}')


if __name__ == '__main__':
    main()
