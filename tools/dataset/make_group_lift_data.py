"""Write the data of the group-lift benchmark (Fashion-MNIST-LT with a
group 1 that is rare, or degraded).

Usage::

    python tools/dataset/make_group_lift_data.py --case rare|degraded \\
        --out-dir DIR [--seed 0] [--data-root data/fashion_mnist] \\
        [--group1-fraction F] [--max-images N] [--force]

The images are the benchmark protocol's: the long-tailed training subset of
Fashion-MNIST (imbalance ratio 100, n_max 1,000, subset seed 0: 2,478
images), its held-out validation split (100 images per class) and the
10,000 test images. In training, a seeded, per-class-stratified share of
each class (``--group1-fraction``; default 0.1 for ``rare``, 0.3 for
``degraded``) is group 1 and is stored in group 1's style: ``rare`` rotates
it by 90 degrees (as easy, only rare), ``degraded`` lowers its contrast,
blurs it and adds noise (harder at any count). In validation and test every
image appears twice, as group 0 (as is) and as group 1 (styled), so the two
groups' accuracies are measured on the same images.

``DIR`` gets ``classes.txt``, ``train.csv``, ``val.csv``, ``test.csv``
(``filename,label,group_id``, for ``GroupAnnotationDataset`` with
``data_prefix='images'``), the PNGs under ``images/`` and ``manifest.json``
(arguments, counts per split, group and class, the CSVs' hashes). The same
seed gives byte-identical files; a folder that already holds the same data
is left alone, so running it again is cheap. The details are in
:mod:`mmlt.datasets.group_lift`.

Fashion-MNIST must be unpacked under ``--data-root`` first
(``python tools/dataset/prepare_fashion_mnist.py``).
"""
import argparse
import sys
import time
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmlt.datasets.group_lift import CASES, DEFAULT_FRACTIONS
    parser = argparse.ArgumentParser(
        description='Write the group-lift benchmark data (Fashion-MNIST-LT '
        'with a rare or degraded group 1) as PNGs and CSVs')
    parser.add_argument('--case', required=True, choices=CASES)
    parser.add_argument('--out-dir', required=True)
    parser.add_argument(
        '--seed', type=int, default=0,
        help='seed of the group-1 draw and of the degradation noise')
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument(
        '--group1-fraction', type=float,
        help='share of each training class in group 1, in (0, 1); default: '
        + ', '.join(f'{k} {v}' for k, v in DEFAULT_FRACTIONS.items()))
    parser.add_argument(
        '--max-images', type=int,
        help='keep only the first N source images of each split (tests)')
    parser.add_argument(
        '--force', action='store_true',
        help='overwrite a folder that holds another group-lift data set')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    from mmlt.datasets.group_lift import write_group_lift_data
    start = time.perf_counter()
    try:
        manifest, written = write_group_lift_data(
            args.out_dir, args.case, seed=args.seed,
            data_root=args.data_root, fraction=args.group1_fraction,
            max_images=args.max_images, force=args.force)
    except (ValueError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    state = 'written' if written else 'already up to date'
    print(f'{args.out_dir}: {state} ({time.perf_counter() - start:.1f} s)')
    for split, groups in manifest['counts'].items():
        print(f'  {split}: ' + '; '.join(
            f'{g} {sum(c)} (per class {c})' for g, c in groups.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
