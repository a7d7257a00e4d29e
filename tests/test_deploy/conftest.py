"""A tiny classifier trained on long-tailed digits, and its export, shared
by the deployment tests (trained once per session, in a few seconds)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from model_helpers import tiny_convnext

pytest.importorskip('onnxruntime')
pytest.importorskip('onnxscript')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')
EPOCHS = 20


def tiny_digits_config(work_dir: str) -> Config:
    """The digits demo with a two-stage ConvNeXt (8, 16 channels), no
    validation, a checkpoint at the end."""
    cfg = Config.fromfile(DIGITS)
    cfg.work_dir = work_dir
    cfg.experiment_name = 'deploy_tiny'
    cfg.model.backbone = tiny_convnext()
    cfg.model.head.in_channels = 16
    cfg.model.head.loss = dict(type='CrossEntropyLoss')
    cfg.default_hooks.long_tail_context.plot = False
    cfg.default_hooks.logger.interval = 50
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=EPOCHS)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=EPOCHS, val_interval=99)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.optim_wrapper.optimizer.lr = 1e-2
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.fixture(scope='session')
def trained(tmp_path_factory):
    """(config file, checkpoint) of the tiny model trained on digits-LT."""
    from mmengine.runner import Runner
    work_dir = str(tmp_path_factory.mktemp('deploy_train'))
    cfg = tiny_digits_config(work_dir)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Runner.from_cfg(cfg).train()
    finally:
        torch.set_num_threads(threads)
    cfg_file = osp.join(work_dir, 'tiny.py')
    cfg.dump(cfg_file)
    return cfg_file, osp.join(work_dir, f'epoch_{EPOCHS}.pth')


@pytest.fixture(scope='session')
def exported(trained, tmp_path_factory):
    """The int8 export (model.onnx, model_int8.onnx, preprocess.json) and
    its :class:`~mmlt.deploy.export_run.ExportResult`."""
    from mmlt.deploy.export_run import ExportOptions, export_and_evaluate
    cfg_file, ckpt = trained
    out = str(tmp_path_factory.mktemp('deploy_export'))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = export_and_evaluate(
            Config.fromfile(cfg_file), ckpt, out,
            ExportOptions(fmt='int8', calib_samples=128, speed_repeats=3),
            log=lambda msg: None)
    finally:
        torch.set_num_threads(threads)
    return result
