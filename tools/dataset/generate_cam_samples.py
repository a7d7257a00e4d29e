"""Generate the images of CAM-based sampling with a stage-1 model.

    python tools/dataset/generate_cam_samples.py CONFIG CHECKPOINT
        --out-dir DIR [--transform random|flip|translate|rotate_scale]
        [--seed 0] [--target max_plus_min|max|N] [--max-per-class N]
        [--threshold 0.75] [--cam-layer backbone.stages.0] [--batch-size 64]
        [--device cpu] [--overwrite] [--cfg-options key=value ...]

Bag of Tricks for long-tailed recognition (Zhang et al., AAAI 2021): every
class is brought to the same count (default n_max + n_min, as the official
code) with new images made from images drawn uniformly within the class:
the class activation map of the image's true class separates foreground and
background, the background is kept and the foreground flipped, translated,
or rotated and scaled. CONFIG is the stage-1 config (its training set is the
long-tailed set), CHECKPOINT its trained weights. DIR receives images/*.png
and cam_samples.csv (read by GroupAnnotationDataset); a before/after table
is printed. --threshold: foreground where the CAM, normalised to [0, 1], is
at least THRESHOLD times its mean (official code: 0.75). --cam-layer: when
the last feature map is 1x1 (ConvNeXt on 32x32 images), the
gradient-weighted CAM of an earlier layer. Logic: mmlt.cam.generation.
"""
import argparse

import mmlt  # noqa: F401  (compat fixes and registration before configs)
import torch
from mmengine.config import Config, DictAction

from mmlt.cam.generation import (ANN_FILE, generate_cam_samples,
                                 generation_count_table)
from mmlt.cam.sampling import FOREGROUND_TRANSFORMS, TARGETS


def _target(value: str):
    if value in TARGETS:
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--target {value!r} is not one of {TARGETS} or an int') from None


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the stage-1 config')
    parser.add_argument('checkpoint', help='the stage-1 checkpoint')
    parser.add_argument('--out-dir', required=True,
                        help='where images/ and the CSV are written')
    parser.add_argument('--transform', default='random',
                        choices=list(FOREGROUND_TRANSFORMS) + ['random'])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--target', type=_target, default='max_plus_min',
                        help='per-class count: max_plus_min, max or an int')
    parser.add_argument('--max-per-class', type=int, default=None,
                        help='cap on the generated images of a class')
    parser.add_argument('--threshold', type=float, default=0.75,
                        help='foreground: normalised CAM >= THRESHOLD x '
                        'its mean')
    parser.add_argument('--cam-layer', default=None,
                        help='module name for a gradient-weighted CAM, '
                        'e.g. backbone.stages.0')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--device', default=None,
                        help='default: cuda if available, else cpu')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing annotation file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    result = generate_cam_samples(
        cfg, args.checkpoint, args.out_dir, transform=args.transform,
        seed=args.seed, target=args.target, max_per_class=args.max_per_class,
        mean_ratio=args.threshold, cam_layer=args.cam_layer,
        batch_size=args.batch_size, device=device, overwrite=args.overwrite)
    print(f'CAM-based sampling ({args.transform}, seed {args.seed}):')
    print(generation_count_table(result.class_counts, result.generated,
                                 result.classes))
    print(f'Wrote {len(result.rows)} images under {args.out_dir}/images and '
          f'{result.ann_file}')
    if result.unchanged:
        print(f'{result.unchanged} of them equal their source image (no '
              'room for the transform, e.g. a translation of a foreground '
              'that spans the image)')
    if result.image_ndim == 2:
        print("Load them with dict(type='LoadImageFromFile', "
              "color_type='grayscale') (one channel, as the source arrays)")
    elif result.image_ndim == 3:
        print("Load them with dict(type='LoadImageFromFile') (channels in "
              'the order of the source arrays)')
    print(f'Stage 2: --cfg-options train_dataloader.dataset.datasets.1.'
          f'data_root={args.out_dir} (ann_file {ANN_FILE})')


if __name__ == '__main__':
    main()
