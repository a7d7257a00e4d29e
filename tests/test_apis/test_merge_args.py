import logging
import os.path as osp
import warnings
from types import SimpleNamespace
from typing import List

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from common_args import build_test_parser, build_train_parser
from mmlt.apis import (close_distributed, merge_args, merge_test_args,
                       merge_train_args, prepare_cpu_distributed)
from mmlt.apis.merge_args import pin_memory_supported

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')


def train_cfg(*argv):
    args = build_train_parser().parse_args([DEMO, *argv])
    return merge_train_args(Config.fromfile(DEMO), args)


def test_train_defaults_and_work_dir():
    cfg = train_cfg()
    assert cfg.work_dir == osp.join('./work_dirs', 'convnext_focal')
    assert cfg.launcher == 'none'
    assert cfg.resume is False
    assert cfg.train_dataloader.pin_memory is pin_memory_supported()
    assert train_cfg('--work-dir', 'x').work_dir == 'x'


class _Records(logging.Handler):
    """Keeps the records the current MMLogger emits."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def mm_log():
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def _pin_messages(records: List[logging.LogRecord]) -> List[logging.LogRecord]:
    return [r for r in records if 'pin_memory' in r.getMessage()]


def test_pin_memory_default_follows_the_accelerator(monkeypatch, mm_log):
    monkeypatch.setattr(merge_args, 'pin_memory_supported', lambda: False)
    cfg = train_cfg()
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[field].pin_memory is False
    assert _pin_messages(mm_log) == []  # nothing asked for, nothing said
    monkeypatch.setattr(merge_args, 'pin_memory_supported', lambda: True)
    cfg = train_cfg()
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[field].pin_memory is True
    assert train_cfg('--no-pin-memory').train_dataloader.pin_memory is False


def test_pin_memory_asked_without_accelerator_is_one_info_line(
        monkeypatch, mm_log):
    monkeypatch.setattr(merge_args, 'pin_memory_supported', lambda: False)
    cfg = Config.fromfile(DEMO)
    cfg.train_dataloader.pin_memory = True
    args = build_train_parser().parse_args(
        [DEMO, '--cfg-options', 'val_dataloader.pin_memory=True'])
    cfg = merge_train_args(cfg, args)
    assert cfg.train_dataloader.pin_memory is False
    assert cfg.val_dataloader.pin_memory is False
    messages = _pin_messages(mm_log)
    assert len(messages) == 1
    assert messages[0].levelno == logging.INFO
    assert 'train_dataloader, val_dataloader' in messages[0].getMessage()
    # with an accelerator the request stands, silently
    monkeypatch.setattr(merge_args, 'pin_memory_supported', lambda: True)
    cfg = Config.fromfile(DEMO)
    cfg.test_dataloader.pin_memory = True
    args = build_test_parser().parse_args([DEMO, 'w/epoch_1.pth'])
    assert merge_test_args(cfg, args).test_dataloader.pin_memory is True
    assert len(_pin_messages(mm_log)) == 1


def test_pin_memory_supported_matches_torch():
    # torch warns exactly when it cannot pin (no accelerator, or MPS)
    from torch.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(torch.zeros(2)), pin_memory=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        next(iter(loader))
    warned = any('pin_memory' in str(w.message) for w in caught)
    assert pin_memory_supported() is not warned


def test_resume_options():
    cfg = train_cfg('--resume')
    assert cfg.resume is True and cfg.load_from is None
    cfg = train_cfg('--resume', 'a/epoch_3.pth')
    assert cfg.resume is True and cfg.load_from == 'a/epoch_3.pth'


def test_cfg_options_auto_scale_lr_and_no_validate():
    cfg = train_cfg('--cfg-options', 'train_cfg.max_epochs=3',
                    'model.head.num_classes=10', '--auto-scale-lr',
                    '--no-validate')
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.auto_scale_lr.enable is True
    assert cfg.val_dataloader is None and cfg.val_cfg is None


def test_merge_takes_a_plain_namespace():
    """The merge functions need no argparse: the options as attributes of
    any object give the same config as the parsed command line."""
    argv = ['--no-validate', '--cfg-options', 'train_cfg.max_epochs=3']
    options = dict(
        config=DEMO, work_dir=None, cfg_options={'train_cfg.max_epochs': 3},
        launcher='none', local_rank=0, no_pin_memory=False, resume=None,
        amp=False, no_validate=True, auto_scale_lr=False,
        no_persistent_workers=False)
    assert vars(build_train_parser().parse_args([DEMO, *argv])) == options
    plain = merge_train_args(Config.fromfile(DEMO), SimpleNamespace(**options))
    assert plain.to_dict() == train_cfg(*argv).to_dict()


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only check')
def test_amp_on_cpu_is_a_clear_error():
    with pytest.raises(ValueError, match='--amp needs an accelerator'):
        train_cfg('--amp')


def test_amp_keeps_sam(monkeypatch):
    import mmengine.device
    monkeypatch.setattr(mmengine.device, 'get_device', lambda: 'cuda')
    assert train_cfg('--amp').optim_wrapper.type == 'AmpOptimWrapper'
    sam = osp.join(ROOT, 'configs', 'training',
                   'sam_convnext-atto_2xb32_digits-lt.py')
    args = build_train_parser().parse_args([sam, '--amp'])
    cfg = merge_train_args(Config.fromfile(sam), args)
    assert cfg.optim_wrapper.type == 'AmpSAMOptimWrapper'
    assert cfg.optim_wrapper.rho == 0.05


def test_test_options_and_tta_drops_ema_hook():
    args = build_test_parser().parse_args(
        [DEMO, 'w/epoch_1.pth', '--tta', '--work-dir', 'w'])
    cfg = Config.fromfile(DEMO)
    cfg.custom_hooks.append(dict(type='EMAHook', momentum=1e-4))
    cfg = merge_test_args(cfg, args)
    assert cfg.load_from == 'w/epoch_1.pth'
    assert cfg.model.type == 'mmpretrain.AverageClsScoreTTA'
    assert cfg.model.module.type == 'ImageClassifier'
    assert 'EMAHook' not in [h['type'] for h in cfg.custom_hooks]
    assert cfg.default_hooks.long_tail_context.type == 'LongTailContextHook'
    assert cfg.test_dataloader.dataset.pipeline[-1].type == 'TestTimeAug'


def test_cfg_options_address_the_config_as_written_under_tta():
    """``--cfg-options`` reach the classifier and the TTA views, not the
    TTA wrapper that ``--tta`` puts around them."""
    v21 = osp.join(ROOT, 'configs', 'recipes',
                   'v2-1-kfold-swa-earlystop-tta_convnext-base_1xb32_'
                   'own-csv.py')
    args = build_test_parser().parse_args([
        v21, 'w/epoch_1.pth', '--tta', '--work-dir', 'w', '--cfg-options',
        'model.head.num_classes=10', 'tta_pipeline.1.transforms.0.1.scale='
        '(28,28)', 'test_dataloader.pin_memory=False'])
    cfg = merge_test_args(Config.fromfile(v21), args)
    assert cfg.model.type == 'AverageClsScoreTTA'
    assert 'head' not in cfg.model
    assert cfg.model.module.head.num_classes == 10
    views = cfg.test_dataloader.dataset.pipeline[1].transforms[0]
    assert [v.scale for v in views] == [(72, 54), (28, 28), (88, 66)]
    assert cfg.test_dataloader.pin_memory is False


def test_tta_drops_an_ema_hook_of_default_hooks():
    # configs/recipes/ register EMAHook in default_hooks (key 'ema')
    args = build_test_parser().parse_args(
        [DEMO, 'w/epoch_1.pth', '--tta', '--work-dir', 'w'])
    cfg = Config.fromfile(DEMO)
    cfg.default_hooks.ema = dict(type='EMAHook', momentum=1e-4)
    cfg = merge_test_args(cfg, args)
    assert 'ema' not in cfg.default_hooks
    assert cfg.default_hooks.long_tail_context.type == 'LongTailContextHook'
    # without --tta the EMA hook stays (it swaps the EMA weights in)
    cfg = Config.fromfile(DEMO)
    cfg.default_hooks.ema = dict(type='EMAHook', momentum=1e-4)
    args.tta = False
    assert merge_test_args(cfg, args).default_hooks.ema.type == 'EMAHook'


def test_prepare_cpu_distributed_is_a_no_op_without_launcher():
    cfg = Config.fromfile(DEMO)
    assert prepare_cpu_distributed(cfg, 'none') is False
    assert 'model_wrapper_cfg' not in cfg


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only check')
def test_prepare_cpu_distributed_errors(monkeypatch):
    cfg = Config.fromfile(DEMO)
    with pytest.raises(ValueError, match="launcher='slurm'"):
        prepare_cpu_distributed(cfg, 'slurm')
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='torchrun environment'):
        prepare_cpu_distributed(cfg, 'pytorch')


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only check')
def test_prepare_cpu_distributed_single_rank_group(monkeypatch):
    import socket
    import torch.distributed as dist
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('WORLD_SIZE', '1')
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(port))
    cfg = Config.fromfile(DEMO)
    try:
        assert prepare_cpu_distributed(cfg, 'pytorch') is True
        assert dist.get_backend() == 'gloo'
        assert cfg.model_wrapper_cfg == dict(
            type='MMDistributedDataParallel', device_ids=None)
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    finally:
        # what the tools call at the end of a run: barrier, then destroy
        close_distributed()
    assert not dist.is_initialized()
    close_distributed()  # without a group (one process): nothing to do
