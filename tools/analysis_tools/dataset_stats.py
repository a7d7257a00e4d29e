"""Statistics of a dataset before training on it::

    python tools/analysis_tools/dataset_stats.py CONFIG_OR_ANNOTATION \
        [--split train|val|test] [--classes FILE] [--data-root DIR] \
        [--num-splits K] [--out-dir DIR] [--no-image-sizes]

Images per class and group, the imbalance ratio, LongTailMetric's shot
bins, the classes with fewer images than K folds, and image sizes / aspect
ratios read from the image headers. Prints a markdown report and writes it
with ``class_counts.csv``, ``image_sizes.csv``, ``class_distribution.png``
and ``class_group_counts.png`` to ``--out-dir`` (default
``work_dirs/dataset_stats/<name>``). Logic: :mod:`mmlt.analysis.dataset_stats`.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

import mmlt  # noqa: F401  (compat fixes and registration before configs)
from mmlt.analysis.dataset_sources import SPLITS, load_dataset
from mmlt.analysis.dataset_stats import (check_num_splits, compute_stats,
                                         format_markdown, write_outputs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Class, group and image-size statistics of a dataset')
    parser.add_argument(
        'source',
        metavar='CONFIG_OR_ANNOTATION',
        help='a config (.py/.yml/.yaml: the dataset of its train_dataloader, '
        'or of --split) or an annotation file (.csv/.json/.txt)')
    parser.add_argument(
        '--split',
        choices=SPLITS,
        help='which dataloader of a config (default: train)')
    parser.add_argument(
        '--classes',
        help='class names file (one per line) for an annotation file whose '
        'labels are indices')
    parser.add_argument(
        '--data-root',
        help="a config: replaces its dataset's data_root; an annotation "
        "file: the folder its file names are relative to (default: the "
        "annotation file's folder)")
    parser.add_argument(
        '--num-splits',
        type=int,
        default=3,
        help='folds of the stratified k-fold to check the classes against')
    parser.add_argument(
        '--out-dir',
        help='folder for the files (default: work_dirs/dataset_stats/<name>)')
    parser.add_argument(
        '--no-image-sizes',
        action='store_true',
        help='do not read the image headers')
    return parser


def main(argv: Optional[List[str]] = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        num_splits = check_num_splits(args.num_splits)
        dataset, name, (many, few) = load_dataset(
            args.source, args.split, args.classes, args.data_root)
        stats = compute_stats(dataset, name, num_splits, many, few,
                              read_sizes=not args.no_image_sizes)
    except (ValueError, FileNotFoundError, KeyError) as error:
        parser.error(str(error))
    out_dir = args.out_dir or osp.join(
        'work_dirs', 'dataset_stats',
        osp.splitext(osp.basename(args.source))[0] +
        (f'_{args.split}' if args.split else ''))
    print(format_markdown(stats))
    for path in write_outputs(stats, out_dir):
        print(f'wrote {path}', file=sys.stderr)


if __name__ == '__main__':
    main()
