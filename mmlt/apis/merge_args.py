"""What the options of tools/train.py and tools/test.py (as MMPretrain's)
do to a config.

The tools parse the command line (their parsers are in
``tools/common_args.py``) and hand the parsed options to
:func:`merge_train_args` or :func:`merge_test_args`, so what each option
does is importable and tested without argparse: ``args`` is any object
with the options as attributes (an ``argparse.Namespace``, or a
``types.SimpleNamespace`` built in code).
"""
import copy
import logging
import os
import os.path as osp
from typing import Any, List, Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

__all__ = [
    'merge_train_args', 'merge_test_args', 'default_work_dir',
    'pin_memory_supported'
]


def default_work_dir(config_path: str) -> str:
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def _set_work_dir(cfg: Config, args: Any) -> None:
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
                             args: Any,
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


def merge_train_args(cfg: Config, args: Any) -> Config:
    """Apply tools/train.py's options to ``cfg`` (as MMPretrain does).

    ``args`` has the attributes ``config``, ``work_dir``, ``cfg_options``,
    ``launcher``, ``local_rank``, ``no_pin_memory``, ``resume``, ``amp``,
    ``no_validate``, ``auto_scale_lr`` and ``no_persistent_workers``
    (tools/train.py's options; ``no_persistent_workers`` may be missing).
    """
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
        # SAM's two passes keep their wrapper, with AMP
        cfg.optim_wrapper.type = (
            'AmpSAMOptimWrapper' if cfg.optim_wrapper.get('type') in (
                'SAMOptimWrapper', 'AmpSAMOptimWrapper') else
            'AmpOptimWrapper')
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


def merge_test_args(cfg: Config, args: Any) -> Config:
    """Apply tools/test.py's options to ``cfg`` (as MMPretrain does).

    ``args`` has the attributes ``config``, ``checkpoint``, ``work_dir``,
    ``cfg_options``, ``launcher``, ``local_rank``, ``no_pin_memory``,
    ``amp`` and ``tta`` (tools/test.py's options).

    With ``--tta``, an ``EMAHook`` is removed from ``custom_hooks`` and from
    ``default_hooks`` (where configs/recipes/ register it): under TTA it
    would load the EMA weights into the wrapped copy with ``strict=False``,
    match no key and test random weights. The checkpoint's ``state_dict``
    already holds the EMA weights (the hook swaps them in when saving), so
    without the hook the EMA model is tested.

    ``--cfg-options`` address the config as written: they are merged before
    ``--tta`` wraps the model and swaps in ``tta_pipeline``, so
    ``model.head.num_classes=10`` or ``tta_pipeline.1.transforms...`` reach
    the classifier and the TTA views (MMPretrain merges them after the
    wrapping, where ``model.head`` lands on the TTA wrapper and fails).
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg.launcher = args.launcher
    _set_work_dir(cfg, args)
    cfg.load_from = _test_checkpoint(cfg, args.checkpoint)
    if args.amp:
        cfg.test_cfg = cfg.get('test_cfg') or ConfigDict()
        cfg.test_cfg.fp16 = True
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.tta:
        hooks = cfg.get('custom_hooks', None) or []
        cfg.custom_hooks = [
            h for h in hooks if 'EMAHook' not in str(h.get('type', ''))
        ]
        default_hooks = cfg.get('default_hooks', None) or {}
        for key in [k for k, h in default_hooks.items() if h is not None
                    and 'EMAHook' in str(h.get('type', ''))]:
            del cfg.default_hooks[key]
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
    _drop_unsupported_pin_memory(cfg, ['test_dataloader'])
    return cfg
