"""ClassifierRetrainHook: stage 1 -> checkpoint -> stage 2 on a real Runner.

A tiny ResNet with BatchNorm (so frozen running statistics matter) is
trained for two iterations on the digits; stage 2 loads its checkpoint
through ``load_from`` and trains with the hook and class-balanced sampling.
"""
import logging
import os
import os.path as osp
import socket
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch import nn

import mmlt  # noqa: F401
from mmlt.engine.hooks.classifier_retrain_hook import (
    ClassifierRetrainHook, freeze_except, frozen_norm_modules,
    match_trainable, norm_affine_names)
from mmlt.registry import HOOKS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')


pytestmark = pytest.mark.usefixtures('one_thread')


class _Recorder(Hook):
    """Snapshots the model when stage 2 starts and ends (runs after the
    hook under test) and the modes of the BatchNorm layers at every
    iteration."""

    priority = 'LOWEST'

    def __init__(self):
        self.start = None
        self.end = None
        self.bn_training = []
        self.frozen_grads = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = _unwrap(runner.model)
        if self.start is None:
            self.start = _state(model)
        self.bn_training.append(any(
            m.training for m in model.modules()
            if isinstance(m, nn.BatchNorm2d)))

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        model = _unwrap(runner.model)
        self.frozen_grads.extend(
            n for n, p in model.named_parameters()
            if not p.requires_grad and p.grad is not None)

    def after_train(self, runner):
        self.end = _state(_unwrap(runner.model))


def _unwrap(model):
    return getattr(model, 'module', model)


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _cfg(work_dir, hooks=(), load_from=None, head=None, sampler=None,
         epochs=1, optimizer=None):
    cfg = Config.fromfile(DEMO)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'crt_{osp.basename(str(work_dir))}'
    # 2 stages of one BasicBlock, 8 and 16 channels, with BatchNorm
    cfg.model.backbone = dict(
        type='ResNet',
        depth=18,
        num_stages=2,
        stem_channels=8,
        base_channels=8,
        strides=(1, 2),
        dilations=(1, 1),
        out_indices=(1, ))
    cfg.model.neck = dict(type='GlobalAveragePooling')
    cfg.model.head.in_channels = 16
    cfg.model.head.loss = dict(type='CrossEntropyLoss')
    cfg.model.head.update(head or {})
    cfg.default_hooks.long_tail_context.plot = False
    cfg.custom_hooks = list(hooks)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    # AdamW with weight decay 0.05 (the demo's): frozen weights must not
    # decay
    cfg.optim_wrapper.optimizer.lr = 0.05
    if optimizer is not None:
        cfg.optim_wrapper.optimizer = optimizer
    cfg.train_dataloader.num_batch_per_epoch = 2
    cfg.train_dataloader.batch_size = 32
    if sampler is not None:
        cfg.train_dataloader.sampler = sampler
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.load_from = load_from
    return cfg


@pytest.fixture(scope='module')
def stage1(tmp_path_factory):
    """Stage 1: two iterations of plain training; its checkpoint."""
    work_dir = tmp_path_factory.mktemp('stage1')
    torch.set_num_threads(1)
    Runner.from_cfg(_cfg(work_dir)).train()
    path = osp.join(str(work_dir), 'epoch_1.pth')
    state = torch.load(path, map_location='cpu',
                       weights_only=False)['state_dict']
    return path, state


CB = dict(type='RebalancedSampler', strategy='class_balanced')


def _stage2(tmp_path, stage1, hook, head=None, hooks_extra=(), **kwargs):
    runner = Runner.from_cfg(
        _cfg(tmp_path, hooks=[hook], load_from=stage1[0], head=head,
             sampler=CB, **kwargs))
    recorder = _Recorder()
    runner.register_hook(recorder)
    for extra in hooks_extra:
        runner.register_hook(extra)
    runner.train()
    return runner, recorder


def _assert_equal(a, b, keys):
    for key in keys:
        assert torch.equal(a[key], b[key]), key


def test_crt_trains_only_the_reinitialised_classifier(tmp_path, stage1):
    _, ckpt = stage1
    runner, rec = _stage2(tmp_path, stage1, dict(type='ClassifierRetrainHook'))
    assert runner.iter == 2
    fc = ('head.fc.weight', 'head.fc.bias')
    rest = [k for k in ckpt if k not in fc]
    assert any('running_mean' in k for k in rest)  # BN statistics checked
    # everything but the classifier is the stage-1 checkpoint, bit for bit,
    # before and after stage 2: no gradient, no weight decay, no BN update
    _assert_equal(rec.start, ckpt, rest)
    _assert_equal(rec.end, ckpt, rest)
    assert rec.frozen_grads == []
    # the BN layers stayed in eval mode although the loop calls train()
    assert rec.bn_training == [False, False]
    # cRT: the classifier was re-initialised (nn.Linear's default init,
    # |w| <= 1/sqrt(fan_in)), then trained
    start_w = rec.start['head.fc.weight']
    assert not torch.equal(start_w, ckpt['head.fc.weight'])
    assert start_w.abs().max() <= 1 / 16**0.5
    assert not torch.equal(rec.end['head.fc.weight'], start_w)
    assert not torch.equal(rec.end['head.fc.bias'], rec.start['head.fc.bias'])
    model = _unwrap(runner.model)
    assert {n for n, p in model.named_parameters() if p.requires_grad} == \
        set(fc)


def test_without_frozen_norm_eval_bn_statistics_move(tmp_path, stage1):
    # the control: the authors' code left the feature model in train mode
    _, ckpt = stage1
    _, rec = _stage2(
        tmp_path, stage1,
        dict(type='ClassifierRetrainHook', reinit=False,
             frozen_norm_eval=False))
    stats = [k for k in ckpt if 'running_mean' in k]
    assert not all(torch.equal(rec.end[k], ckpt[k]) for k in stats)
    # reinit=False: stage 2 starts from the stage-1 classifier
    _assert_equal(rec.start, ckpt, ['head.fc.weight', 'head.fc.bias'])
    # the weights themselves stay frozen
    weights = [k for k in ckpt if k.endswith('.weight') and 'fc' not in k]
    _assert_equal(rec.end, ckpt, weights)


def _bn_keys(model, ckpt):
    """(BN statistics, BN affine γ/β, every other backbone tensor: the
    convolution weights) of a stage-2 model's state dict, by module type."""
    bns = [n for n, m in model.named_modules()
           if isinstance(m, nn.BatchNorm2d)]
    of_bn = {k: k.rsplit('.', 1) for k in ckpt}
    stats = [k for k, (m, t) in of_bn.items()
             if m in bns and t.startswith('running_')]
    affine = [k for k, (m, t) in of_bn.items()
              if m in bns and t in ('weight', 'bias')]
    rest = [k for k, (m, t) in of_bn.items()
            if m not in bns and k.startswith('backbone.')]
    return stats, affine, rest


def test_mislas_shift_learning_moves_bn_statistics_only(tmp_path, stage1):
    """MiSLAS's stage 2 (Zhong et al., CVPR 2021, official code): the
    stage-1 classifier and LWS scales train, the BatchNorm running mean and
    variance follow the class-balanced batches, γ and β stay."""
    _, ckpt = stage1
    runner, rec = _stage2(
        tmp_path, stage1,
        dict(type='ClassifierRetrainHook',
             trainable=['head.fc', 'head.lws_scale'], reinit=False,
             frozen_norm_eval=False),
        head=dict(lws=True),
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4))
    stats, affine, rest = _bn_keys(_unwrap(runner.model), ckpt)
    assert stats and affine and any('conv' in k for k in rest)
    assert rec.bn_training == [True, True]
    assert all(not torch.equal(rec.end[k], ckpt[k]) for k in stats
               if 'running_mean' in k)
    _assert_equal(rec.end, ckpt, affine + rest)
    _assert_equal(rec.start, ckpt, ['head.fc.weight', 'head.fc.bias'])
    for key in ('head.fc.weight', 'head.fc.bias', 'head.lws_scale'):
        assert not torch.equal(rec.end[key], rec.start[key]), key
    assert rec.frozen_grads == []
    model = _unwrap(runner.model)
    assert {n for n, p in model.named_parameters() if p.requires_grad} == \
        {'head.fc.weight', 'head.fc.bias', 'head.lws_scale'}


class _GradRecorder(Hook):
    """Which parameters received a gradient in each iteration's backward
    (a tensor hook on every parameter left trainable; runs after the hook
    under test, whose priority is higher)."""

    def __init__(self):
        self.with_grad = []

    def before_train(self, runner):
        for name, param in _unwrap(runner.model).named_parameters():
            if param.requires_grad:
                param.register_hook(
                    lambda grad, name=name: self.with_grad[-1].add(name))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.with_grad.append(set())


def test_train_norm_affine_learns_bn_shift_with_frozen_convs(tmp_path,
                                                             stage1):
    _, ckpt = stage1
    grads = _GradRecorder()
    runner, rec = _stage2(
        tmp_path, stage1,
        dict(type='ClassifierRetrainHook', train_norm_affine=True),
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4),
        hooks_extra=[grads])
    stats, affine, rest = _bn_keys(_unwrap(runner.model), ckpt)
    assert stats and affine and any('conv' in k for k in rest)
    # reinit applies to the classifier only: BN starts as stage 1 left it
    _assert_equal(rec.start, ckpt, stats + affine + rest)
    assert not torch.equal(rec.start['head.fc.weight'],
                           ckpt['head.fc.weight'])
    # conv weights frozen, bit for bit; BN statistics and γ, β moved; the
    # classifier trained
    _assert_equal(rec.end, ckpt, rest)
    assert all(not torch.equal(rec.end[k], ckpt[k]) for k in affine)
    assert all(not torch.equal(rec.end[k], ckpt[k]) for k in stats
               if 'running_mean' in k)
    assert not torch.equal(rec.end['head.fc.weight'],
                           rec.start['head.fc.weight'])
    # the trained layers run in train mode (the statistics they normalise
    # with are the batch's), and only γ, β and the classifier get gradients
    assert rec.bn_training == [True, True]
    model = _unwrap(runner.model)
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trained == set(affine) | {'head.fc.weight', 'head.fc.bias'}
    assert grads.with_grad == [trained, trained]
    assert rec.frozen_grads == []


def test_lws_trains_only_the_scales(tmp_path, stage1):
    _, ckpt = stage1
    # SGD with momentum and weight decay (the authors' stage-2 optimizer):
    # it skips the frozen parameters too
    runner, rec = _stage2(
        tmp_path, stage1,
        dict(type='ClassifierRetrainHook', trainable=['head.lws_scale'],
             reinit=False),
        head=dict(lws=True),
        optimizer=dict(type='SGD', lr=0.2, momentum=0.9,
                       weight_decay=5e-4))
    # the stage-1 checkpoint has no scales: they start at 1
    assert torch.equal(rec.start['head.lws_scale'], torch.ones(10))
    assert not torch.equal(rec.end['head.lws_scale'], torch.ones(10))
    _assert_equal(rec.start, ckpt, list(ckpt))
    _assert_equal(rec.end, ckpt, list(ckpt))  # classifier W, b too
    model = _unwrap(runner.model)
    assert [n for n, p in model.named_parameters() if p.requires_grad] == \
        ['head.lws_scale']


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _ddp_stage2(tmp_path, stage1, monkeypatch):
    """Stage 2 in a one-process gloo group with mmengine's DDP wrapper."""
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(_free_port()))
    monkeypatch.setenv('LOCAL_RANK', '0')
    # the distributed Runner sets these for the whole process
    for key in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        monkeypatch.setenv(key, os.environ.get(key, '1'))
    torch_dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        cfg = _cfg(tmp_path, hooks=[dict(type='ClassifierRetrainHook')],
                   load_from=stage1[0], sampler=CB)
        cfg.launcher = 'pytorch'
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None)
        runner = Runner.from_cfg(cfg)
        built = runner.model
        recorder = _Recorder()
        runner.register_hook(recorder)
        runner.train()
        return runner, built, recorder
    finally:
        torch_dist.destroy_process_group()


def test_ddp_wrapper_is_rebuilt_after_freezing(tmp_path, stage1,
                                               monkeypatch):
    _, ckpt = stage1
    runner, built, recorder = _ddp_stage2(tmp_path, stage1, monkeypatch)
    assert runner.iter == 2
    assert runner.model is not built
    assert isinstance(runner.model, torch.nn.parallel.DistributedDataParallel)
    rest = [k for k in ckpt if not k.startswith('head.fc.')]
    _assert_equal(recorder.end, ckpt, rest)
    assert not torch.equal(recorder.end['head.fc.weight'],
                           recorder.start['head.fc.weight'])


def test_without_rewrapping_ddp_fails(tmp_path, stage1, monkeypatch):
    """Why the hook re-wraps: mmengine builds DDP before any hook runs, and
    a DDP built while every parameter required a gradient waits for the
    frozen ones' gradients and fails at the second iteration."""
    monkeypatch.setattr(ClassifierRetrainHook, '_rewrap',
                        lambda self, runner: None)
    with pytest.raises(RuntimeError, match='finished reduction'):
        _ddp_stage2(tmp_path, stage1, monkeypatch)


# ------------------------------------------------------------ unit checks
def _model():
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='ResNet', depth=18, num_stages=1, stem_channels=4,
                base_channels=4, strides=(1, ), dilations=(1, ),
                out_indices=(0, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
                      lws=True)))
    return model


def test_names_select_modules_or_parameters():
    model = _model()
    matched = match_trainable(model, ['head.fc', 'head.lws_scale'])
    assert matched == {'head.fc': ['head.fc.weight', 'head.fc.bias'],
                       'head.lws_scale': ['head.lws_scale']}
    # a prefix of a name is not a match: 'head.f' is not 'head.fc'
    with pytest.raises(ValueError, match=r"'head\.f'.*head\.fc\.weight"):
        match_trainable(model, ['head.f'])


@pytest.mark.parametrize('trainable, message', [
    (['head.classifier'], r"'head\.classifier' matches no parameter"),
    (['neck.fc'], r"'neck\.fc' matches no parameter"),
    (['nothing'], r"'nothing'.*top-level modules with parameters: "
     r"\['backbone', 'head'\]"),
])
def test_unknown_names_raise_naming_them(trainable, message):
    with pytest.raises(ValueError, match=message):
        freeze_except(_model(), trainable)


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(trainable=[]), ValueError, r'trainable=\[\]'),
    (dict(trainable=['head.fc', 3]), ValueError, r"trainable=\['head.fc', 3"),
    (dict(reinit='yes'), TypeError, "reinit='yes'"),
    (dict(frozen_norm_eval=None), TypeError, 'frozen_norm_eval=None'),
    (dict(train_norm_affine=1), TypeError, 'train_norm_affine=1'),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        HOOKS.build(dict(type='ClassifierRetrainHook', **kwargs))


def _fake_runner(model, iter=0):
    return SimpleNamespace(
        model=model, iter=iter, cfg=Config(),
        logger=logging.getLogger('test_classifier_retrain_hook'))


def test_reinit_refuses_a_bare_parameter():
    hook = ClassifierRetrainHook(trainable=['head.lws_scale'])
    with pytest.raises(ValueError, match=r"'head\.lws_scale'.*reinit=False"):
        hook.before_train(_fake_runner(_model()))


def test_resumed_stage_two_is_not_reinitialised():
    model = _model()
    before = model.head.fc.weight.detach().clone()
    ClassifierRetrainHook().before_train(_fake_runner(model, iter=5))
    assert torch.equal(model.head.fc.weight, before)
    ClassifierRetrainHook().before_train(_fake_runner(model, iter=0))
    assert not torch.equal(model.head.fc.weight, before)


def test_default_is_the_head_classifier_and_norms_are_found():
    model = _model()
    hook = ClassifierRetrainHook()
    hook.before_train(_fake_runner(model))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ['head.fc.weight', 'head.fc.bias']
    norms = frozen_norm_modules(model)
    assert norms and all(isinstance(m, nn.BatchNorm2d) for m in norms)
    assert len(norms) == len(hook._norms)
    model.train()
    hook.before_train_iter(_fake_runner(model), 0)
    assert not any(m.training for m in norms)
    assert model.head.training  # the rest keeps train mode
    # a norm layer whose own parameters train is left alone
    freeze_except(model, ['backbone.bn1'])
    assert model.backbone.bn1 not in frozen_norm_modules(model)


def test_norm_affine_names_are_the_batchnorm_layers():
    model = _model()
    names = norm_affine_names(model)
    modules = dict(model.named_modules())
    assert names and 'backbone.bn1' in names
    assert all(isinstance(modules[n], nn.BatchNorm2d) for n in names)
    assert len(names) == sum(isinstance(m, nn.BatchNorm2d)
                             for m in model.modules())
    hook = ClassifierRetrainHook(train_norm_affine=True)
    hook.before_train(_fake_runner(model))
    assert frozen_norm_modules(model) == []  # none frozen: all train
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trained == {f'{n}.{w}' for n in names for w in ('weight', 'bias')
                       } | {'head.fc.weight', 'head.fc.bias'}


def test_train_norm_affine_without_norm_layers_is_refused():
    hook = ClassifierRetrainHook(trainable=['0'], reinit=False,
                                 train_norm_affine=True)
    with pytest.raises(ValueError, match='train_norm_affine=True but '
                       'Sequential has no normalisation layer'):
        hook.before_train(_fake_runner(nn.Sequential(nn.Linear(4, 3))))
