"""Command-line options of tools/train.py and tools/test.py, as MMPretrain's.

The tools only parse arguments and call these functions, so the option
handling is importable and tested.
"""
import argparse
import copy
import logging
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.logging import print_log

__all__ = [
    'build_train_parser', 'build_test_parser', 'merge_train_args',
    'merge_test_args', 'default_work_dir', 'pin_memory_supported'
]


def _add_common(parser: argparse.ArgumentParser) -> None:
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
    _add_common(parser)
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
    _add_common(parser)
    return parser


def default_work_dir(config_path: str) -> str:
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def _set_work_dir(cfg: Config, args: argparse.Namespace) -> None:
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)


def pin_memory_supported() -> bool:
    """Whether a DataLoader's ``pin_memory=True`` has any effect here.

    Torch pins memory only for an accelerator, and not for MPS; on any other
    machine it warns once per epoch and pins nothing (the condition of
    ``torch.utils.data.dataloader._BaseDataLoaderIter``).
    """
    accelerator = getattr(torch, 'accelerator', None)
    if accelerator is None:  # torch < 2.6
        return torch.cuda.is_available()
    if not accelerator.is_available():
        return False
    return accelerator.current_accelerator().type != 'mps'


def _set_dataloader_defaults(cfg: Config, fields: List[str],
                             args: argparse.Namespace,
                             persistent: Optional[bool]) -> None:
    for field in fields:
        if cfg.get(field, None) is None:
            continue
        merged = ConfigDict(pin_memory=pin_memory_supported())
        if persistent is not None and cfg[field].get('num_workers', 0) > 0:
            merged.persistent_workers = persistent
        merged.update(cfg[field])
        if args.no_pin_memory:
            merged.pin_memory = False
        if getattr(args, 'no_persistent_workers', False):
            merged.persistent_workers = False
        cfg[field] = merged


def _drop_unsupported_pin_memory(cfg: Config, fields: List[str]) -> None:
    """Turn off a ``pin_memory=True`` the config (or ``--cfg-options``)
    asks for where it cannot work, with one INFO line instead of torch's
    warning every epoch."""
    if pin_memory_supported():
        return
    asked = [
        field for field in fields
        if cfg.get(field, None) is not None and cfg[field].get('pin_memory')
    ]
    for field in asked:
        cfg[field].pin_memory = False
    if asked:
        print_log(
            f'pin_memory turned off in {", ".join(asked)}: no accelerator '
            'that supports pinned memory is available',
            logger='current',
            level=logging.INFO)


def merge_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply tools/train.py's options to ``cfg`` (as MMPretrain does)."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = args.launcher
    _set_work_dir(cfg, args)
    if args.amp:
        from mmengine.device import get_device
        if get_device() == 'cpu':
            raise ValueError('--amp needs an accelerator (CUDA, NPU, MLU or '
                             'MPS); mmengine\'s AmpOptimWrapper cannot run '
                             'on CPU')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise ValueError('--auto-scale-lr needs auto_scale_lr='
                             'dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    fields = ['train_dataloader', 'val_dataloader', 'test_dataloader']
    _set_dataloader_defaults(cfg, fields, args, persistent=True)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    _drop_unsupported_pin_memory(cfg, fields)
    return cfg


def _test_checkpoint(cfg: Config, checkpoint: str) -> Optional[str]:
    """``load_from`` for tools/test.py: None for ``'none'``, which only
    models that load their own weights (the ensembles) accept."""
    if checkpoint != 'none' or osp.isfile(checkpoint):
        return checkpoint
    from mmlt.models.classifiers import BaseEnsemble
    from mmlt.registry import MODELS
    kind = cfg.model.get('type', None)
    cls = MODELS.get(kind) if isinstance(kind, str) else kind
    if not (isinstance(cls, type) and issubclass(cls, BaseEnsemble)):
        raise ValueError(
            f"checkpoint 'none' would test model type {kind!r} with untrained "
            'weights; only ensembles, which load their members\' '
            'checkpoints themselves, take it')
    return None


def merge_test_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply tools/test.py's options to ``cfg`` (as MMPretrain does).

    With ``--tta``, an ``EMAHook`` is removed from ``custom_hooks``: under
    TTA it would load the EMA weights into the wrapped copy with
    ``strict=False``, match no key and test random weights. The checkpoint's
    ``state_dict`` already holds the EMA weights (the hook swaps them in
    when saving), so without the hook the EMA model is tested.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg.launcher = args.launcher
    _set_work_dir(cfg, args)
    cfg.load_from = _test_checkpoint(cfg, args.checkpoint)
    if args.amp:
        cfg.test_cfg = cfg.get('test_cfg') or ConfigDict()
        cfg.test_cfg.fp16 = True
    if args.tta:
        hooks = cfg.get('custom_hooks', None) or []
        cfg.custom_hooks = [
            h for h in hooks if 'EMAHook' not in str(h.get('type', ''))
        ]
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
        if 'tta_pipeline' not in cfg:
            test_pipeline = cfg.test_dataloader.dataset.pipeline
            cfg.tta_pipeline = copy.deepcopy(test_pipeline)
            cfg.tta_pipeline[-1] = dict(
                type='TestTimeAug',
                transforms=[[
                    dict(type='RandomFlip', prob=1.),
                    dict(type='RandomFlip', prob=0.)
                ], [test_pipeline[-1]]])
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    _set_dataloader_defaults(cfg, ['test_dataloader'], args, persistent=None)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    _drop_unsupported_pin_memory(cfg, ['test_dataloader'])
    return cfg
