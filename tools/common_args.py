"""Command-line options of tools/train.py, tools/test.py and
tools/kfold_train.py, as MMPretrain's.

A module beside the tools (not a tool itself): each tool runs with tools/ on
``sys.path`` and imports its parser from here; the tests put tools/ on
``sys.path`` in tests/conftest.py. What the options do to a config is
:func:`mmlt.apis.merge_train_args` and :func:`mmlt.apis.merge_test_args`.
"""
import argparse
from typing import Union

from mmengine.config import DictAction

from mmlt.datasets.stratified_kfold_dataset import STRATIFY_OPTIONS

__all__ = [
    'add_common_args', 'build_train_parser', 'build_test_parser',
    'build_kfold_parser'
]


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """The options every tool here takes."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value (lists as '
        'key="[a,b]"); lists of dicts need a config file')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in the dataloaders')


def build_train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Train a model with mmlt')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or without a path from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='mixed-precision training')
    parser.add_argument(
        '--no-validate', action='store_true', help='do not validate')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual batch size')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers in the dataloaders')
    add_common_args(parser)
    return parser


def build_test_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Test a model with mmlt')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        help="checkpoint file, or 'none' for a model that loads its own "
        'weights (ScoreEnsemble, GroupRoutedEnsemble)')
    parser.add_argument('--out', help='dump predictions to this pickle file')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='what --out holds: predictions (default) or the metrics')
    parser.add_argument(
        '--tta', action='store_true', help='test-time augmentation')
    parser.add_argument(
        '--amp', action='store_true', help='mixed-precision inference')
    add_common_args(parser)
    return parser


def _splits_arg(text: str) -> Union[int, str]:
    if text == 'auto':
        return text
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 2:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not 'auto' nor an int >= 2")
    return value


def _max_splits_arg(text: str) -> int:
    value = _splits_arg(text)
    if value == 'auto':
        raise argparse.ArgumentTypeError(f'{text!r} is not an int >= 2')
    return value


def build_kfold_parser() -> argparse.ArgumentParser:
    """Options of tools/kfold_train.py: the k-fold ones and tools/train.py's
    (except ``--resume``: interrupted folds always resume)."""
    parser = argparse.ArgumentParser(
        description='Stratified k-fold training with out-of-fold '
        'predictions, a metric table and an ensemble of the fold models')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--num-splits',
        type=_splits_arg,
        default='auto',
        help="number of folds, or 'auto': min(--max-splits, smallest class "
        'count), at least 2')
    parser.add_argument(
        '--max-splits', type=_max_splits_arg, default=3,
        help="the most folds 'auto' picks")
    parser.add_argument(
        '--stratify', choices=list(STRATIFY_OPTIONS), default='class',
        help='balance the folds by class, or by class and group')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the split')
    parser.add_argument(
        '--amp', action='store_true', help='mixed-precision training')
    parser.add_argument(
        '--no-validate', action='store_true',
        help='do not validate while training (the held-out fold is still '
        'tested at the end of each fold)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the actual batch size')
    parser.add_argument(
        '--no-persistent-workers', action='store_true',
        help='disable persistent_workers in the dataloaders')
    add_common_args(parser)
    parser.set_defaults(resume=None)
    return parser
