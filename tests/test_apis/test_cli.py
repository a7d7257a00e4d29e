import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmlt.apis import (merge_test_args, merge_train_args,
                       prepare_cpu_distributed, build_test_parser,
                       build_train_parser)

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
    assert cfg.train_dataloader.pin_memory is True
    assert train_cfg('--work-dir', 'x').work_dir == 'x'


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


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only check')
def test_amp_on_cpu_is_a_clear_error():
    with pytest.raises(ValueError, match='--amp needs an accelerator'):
        train_cfg('--amp')


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
        dist.destroy_process_group()
