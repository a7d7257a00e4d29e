"""LoadFromCheckHook: load_from tensors that do not fit are named.

The comparison as a pure function, then the hook on real Runners built from
the demo config (so registered through configs/_base_/default_runtime.py's
``default_hooks``) on the embedded digits: a stage-1 checkpoint loaded into
a model with another number of classes, with LWS scales, with a DDP-style
``module.`` prefix, under a DDP wrapper, and resumed. Last, every strict
stage-2 config against the model of its stage-1 config.
"""
import glob
import logging
import os
import os.path as osp
import re
import socket

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.runner import Runner
from model_helpers import LogRecords, tiny_convnext, train_logged

import mmlt  # noqa: F401
from mmlt.engine.hooks import (LoadFromCheckHook, LoadMismatch,
                               compare_state_dicts)
from mmlt.engine.hooks.load_from_check_hook import head_prefixes
from mmlt.registry import HOOKS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')

pytestmark = pytest.mark.usefixtures('one_thread')


# ---------------------------------------------------------------------------
# compare_state_dicts


def test_compare_state_dicts():
    t = torch.zeros
    checkpoint = {'a.weight': t(3, 4), 'a.bias': t(3), 'old.weight': t(2),
                  'bn.num_batches_tracked': t(())}
    model = {'a.weight': t(5, 4), 'a.bias': t(3), 'scale': t(5),
             'bn2.num_batches_tracked': t(()), 'b.weight': t(1)}
    mismatch = compare_state_dicts(checkpoint, model)
    assert mismatch
    assert mismatch.shape == [('a.weight', (3, 4), (5, 4))]
    # BatchNorm's counter is not a weight (mmengine ignores it too)
    assert mismatch.missing == [('scale', (5, )), ('b.weight', (1, ))]
    assert mismatch.unexpected == [('old.weight', (2, )),
                                   ('bn.num_batches_tracked', ())]
    assert mismatch.lines() == [
        '  a.weight: checkpoint shape (3, 4), model shape (5, 4)',
        '  scale: missing from the checkpoint (model shape (5,))',
        '  b.weight: missing from the checkpoint (model shape (1,))',
        '  old.weight: unexpected, not in the model (checkpoint shape (2,))',
        '  bn.num_batches_tracked: unexpected, not in the model '
        '(checkpoint shape ())',
    ]
    # patterns match whole keys
    allowed = compare_state_dicts(checkpoint, model, [r'scale', r'b\.w'])
    assert allowed.allowed == ['scale']
    assert allowed.missing == [('b.weight', (1, ))]
    assert not compare_state_dicts(model, model)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(allow_missing='head.lws_scale'), TypeError, 'head.lws_scale'),
    (dict(allow_missing=[3]), TypeError, 'entry 3'),
    (dict(allow_missing=['head.(']), ValueError, r"'head\.\('"),
    (dict(strict='yes'), TypeError, "strict='yes'"),
    (dict(allow_backbone_mismatch=1), TypeError,
     'allow_backbone_mismatch=1'),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        HOOKS.build(dict(type='LoadFromCheckHook', **kwargs))


def test_partition_by_head_prefix():
    t = torch.zeros
    checkpoint = {'backbone.w': t(2), 'head.fc.weight': t(3),
                  'head.old': t(1), 'neck.x': t(1)}
    model = {'backbone.w': t(4), 'head.fc.weight': t(5), 'head.lws': t(5),
             'backbone.new': t(1)}
    mismatch = compare_state_dicts(checkpoint, model, [r'head\.lws'])
    head, outside = mismatch.partition(lambda k: k.startswith('head.'))
    assert head.shape == [('head.fc.weight', (3, ), (5, ))]
    assert head.unexpected == [('head.old', (1, ))]
    assert head.allowed == ['head.lws'] and not head.missing
    assert outside.shape == [('backbone.w', (2, ), (4, ))]
    assert outside.missing == [('backbone.new', (1, ))]
    assert outside.unexpected == [('neck.x', (1, ))]
    assert outside.names() == ['backbone.w', 'backbone.new', 'neck.x']
    assert not LoadMismatch() and not head.partition(lambda k: True)[1]


def test_head_prefixes():
    classifier = MODELS.build(dict(
        type='ImageClassifier', backbone=tiny_convnext(),
        head=dict(type='LTLinearClsHead', num_classes=3, in_channels=16)))
    assert head_prefixes(classifier) == ['head.']

    class Ensemble(torch.nn.Module):  # as mmlt's ensembles hold members

        def __init__(self, members):
            super().__init__()
            self.members = torch.nn.ModuleDict(members)

    assert head_prefixes(Ensemble(dict(
        a=classifier, b=Ensemble(dict(c=classifier)),
        d=torch.nn.Linear(2, 2)))) == [
            'members.a.head.', 'members.b.members.c.head.']
    # no head: every tensor counts as outside
    assert head_prefixes(torch.nn.Linear(2, 2)) == []


# ---------------------------------------------------------------------------
# real Runners


class _Records(LogRecords):

    def at(self, level, text='LoadFromCheck'):
        return [m for m in super().at(level)
                if 'do not fit' in m or text in m]


def _cfg(work_dir, load_from=None, check=None, head=None, epochs=1,
         resume=False):
    cfg = Config.fromfile(DEMO)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'lfc_{osp.basename(str(work_dir))}'
    cfg.model.backbone = tiny_convnext()
    cfg.model.head.in_channels = 16
    cfg.model.head.loss = dict(type='CrossEntropyLoss')
    cfg.model.head.update(head or {})
    cfg.data_preprocessor.num_classes = cfg.model.head.num_classes
    cfg.default_hooks.long_tail_context.plot = False
    cfg.default_hooks.load_from_check.update(check or {})
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.train_dataloader.num_batch_per_epoch = 1
    cfg.load_from = load_from
    cfg.resume = resume
    return cfg


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    return runner, train_logged(runner, _Records)


@pytest.fixture(scope='module')
def stage1(tmp_path_factory):
    """One iteration of the 10-class model; its work dir."""
    work_dir = tmp_path_factory.mktemp('stage1')
    torch.set_num_threads(1)
    Runner.from_cfg(_cfg(work_dir)).train()
    return work_dir


def _ckpt(stage1):
    return osp.join(str(stage1), 'epoch_1.pth')


def test_registered_for_every_config_through_default_runtime():
    cfg = Config.fromfile(DEMO)
    assert cfg.default_hooks.load_from_check == dict(
        type='LoadFromCheckHook')


@pytest.fixture(scope='module')
def mismatched(stage1, tmp_path_factory):
    """The stage-1 weights with a classifier of another width, without
    its bias and with a tensor the model does not have."""
    state = torch.load(_ckpt(stage1), map_location='cpu',
                       weights_only=False)['state_dict']
    state['head.fc.weight'] = torch.zeros(10, 12)
    del state['head.fc.bias']
    state['head.aux.weight'] = torch.zeros(3, 16)
    path = str(tmp_path_factory.mktemp('mismatched') / 'weights.pth')
    torch.save(dict(state_dict=state), path)
    return path


# what of ``mismatched`` does not load
MISMATCH = [
    'head.fc.weight: checkpoint shape (10, 12), model shape (10, 16)',
    'head.fc.bias: missing from the checkpoint (model shape (10,))',
    'head.aux.weight: unexpected, not in the model (checkpoint shape '
    '(3, 16))',
]


def test_mismatched_load_from_warns_listing_every_tensor(tmp_path,
                                                         mismatched):
    runner, records = _train(_cfg(tmp_path, load_from=mismatched))
    assert runner.iter == 1  # trained on
    [warning] = records.at(logging.WARNING)
    assert f'3 tensors of {mismatched} do not fit' in warning
    assert [line.strip() for line in warning.splitlines()[1:4]] == MISMATCH
    assert 'strict=True' in warning  # how to make it an error


def _backbone_key(state):
    """A backbone weight of the stage-1 model with 2+ dimensions."""
    return next(k for k, v in state.items()
                if k.startswith('backbone.') and v.dim() > 1)


def _stage1_state(stage1):
    return torch.load(_ckpt(stage1), map_location='cpu',
                      weights_only=False)['state_dict']


def _save(state, path):
    torch.save(dict(state_dict=state), str(path))
    return str(path)


def _backbone_mismatch(stage1, path, kind):
    """The stage-1 weights with one backbone tensor that does not fit:
    another shape, missing, or an extra one; the line that names it."""
    state = _stage1_state(stage1)
    key = _backbone_key(state)
    shape = tuple(state[key].shape)
    if kind == 'shape':
        wider = (shape[0] + 1, ) + shape[1:]
        state[key] = torch.zeros(wider)
        line = f'{key}: checkpoint shape {wider}, model shape {shape}'
    elif kind == 'missing':
        del state[key]
        line = f'{key}: missing from the checkpoint (model shape {shape})'
    else:
        key = 'backbone.extra.weight'
        state[key] = torch.zeros(2, 3)
        line = ('backbone.extra.weight: unexpected, not in the model '
                '(checkpoint shape (2, 3))')
    return _save(state, path), line


@pytest.mark.parametrize('kind', ['shape', 'missing', 'unexpected'])
def test_backbone_mismatch_raises_naming_the_tensor(tmp_path, stage1, kind):
    """Outside the head, a tensor that does not fit stops training by
    default (no strict=True), before any weight is loaded."""
    path, line = _backbone_mismatch(stage1, tmp_path / 'weights.pth', kind)
    runner = Runner.from_cfg(_cfg(tmp_path / 'run', load_from=path))
    with pytest.raises(RuntimeError) as info:
        runner.train()
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0].startswith(f'1 tensors of {path} outside the '
                               "classification head (keys under 'head.')")
    assert lines[1].strip() == line
    assert 'allow_backbone_mismatch=True' in message
    assert 'default_hooks.load_from_check.allow_missing' in message
    assert 'strict=True' not in message
    # nothing was loaded: a backbone weight that fits keeps its init value
    loaded = _stage1_state(stage1)
    model = runner.model.state_dict()
    fits = [k for k in model if k.startswith('backbone.') and
            k.endswith('weight') and k in loaded and
            model[k].shape == loaded[k].shape and k not in line]
    assert fits and not any(torch.equal(model[k], loaded[k]) for k in fits)


def test_backbone_and_head_mismatch_names_both(tmp_path, stage1):
    path, line = _backbone_mismatch(stage1, tmp_path / 'weights.pth',
                                    'shape')
    state = torch.load(path, weights_only=False)['state_dict']
    state['head.fc.weight'] = torch.zeros(10, 12)
    _save(state, path)
    with pytest.raises(RuntimeError) as info:
        _train(_cfg(tmp_path / 'run', load_from=path))
    lines = str(info.value).splitlines()
    assert lines[1].strip() == line
    assert lines[2] == ('(1 tensors of the head do not fit either; alone '
                        'they would be a warning: head.fc.weight)')


def test_allow_backbone_mismatch_trains_on_with_the_warning(tmp_path,
                                                             stage1):
    path, line = _backbone_mismatch(stage1, tmp_path / 'weights.pth',
                                    'shape')
    cfg = _cfg(tmp_path / 'run', load_from=path,
               check=dict(allow_backbone_mismatch=True))
    runner, records = _train(cfg)
    assert runner.iter == 1
    [warning] = records.at(logging.WARNING)
    lines = warning.splitlines()
    assert lines[0].startswith(f'1 tensors of {path} do not fit')
    assert lines[1].strip() == line
    assert lines[2] == ('allow_backbone_mismatch=True lets the tensors '
                        f'outside the head through: {line.split(":")[0]}')
    # strict=True still stops, whatever allow_backbone_mismatch says
    cfg = _cfg(tmp_path / 'strict', load_from=path,
               check=dict(allow_backbone_mismatch=True, strict=True))
    with pytest.raises(RuntimeError, match='strict=True'):
        _train(cfg)


def test_allow_missing_covers_a_missing_backbone_tensor(tmp_path, stage1):
    path, line = _backbone_mismatch(stage1, tmp_path / 'weights.pth',
                                    'missing')
    key = line.split(':')[0]
    cfg = _cfg(tmp_path / 'run', load_from=path,
               check=dict(allow_missing=[re.escape(key)]))
    runner, records = _train(cfg)
    assert runner.iter == 1
    assert records.at(logging.WARNING) == []
    [info] = records.at(logging.INFO, 'permits')
    assert info.endswith(f'permits: {key}')


def test_strict_raises_naming_the_tensors(tmp_path, mismatched):
    cfg = _cfg(tmp_path, load_from=mismatched, check=dict(strict=True))
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RuntimeError, match='strict=True') as info:
        runner.train()
    assert [line.strip() for line in str(info.value).splitlines()[1:4]] == \
        MISMATCH
    # raised before any weight went into the model: the backbone, which
    # fits, still has its initial weights
    loaded = torch.load(mismatched, weights_only=True)['state_dict']
    model = runner.model.state_dict()
    fits = [k for k in model if k.startswith('backbone.')
            and k.endswith('weight')]
    assert fits and not any(torch.equal(model[k], loaded[k]) for k in fits)


def test_matching_load_from_is_silent(tmp_path, stage1):
    cfg = _cfg(tmp_path, load_from=_ckpt(stage1), check=dict(strict=True))
    _, records = _train(cfg)
    assert records.at(logging.WARNING) == []


def test_allow_missing_lws_scale(tmp_path, stage1):
    lws = dict(lws=True)
    cfg = _cfg(tmp_path / 'plain', load_from=_ckpt(stage1), head=lws,
               check=dict(strict=True))
    with pytest.raises(RuntimeError, match='head.lws_scale: missing'):
        _train(cfg)
    cfg = _cfg(tmp_path / 'allowed', load_from=_ckpt(stage1), head=lws,
               check=dict(strict=True, allow_missing=[r'head\.lws_scale']))
    runner, records = _train(cfg)
    assert runner.iter == 1
    assert records.at(logging.WARNING) == []
    [info] = records.at(logging.INFO, 'permits')
    assert info.endswith("allow_missing=['head\\\\.lws_scale'] permits: "
                         'head.lws_scale')
    # a pattern that matches no model key is refused
    cfg = _cfg(tmp_path / 'typo', load_from=_ckpt(stage1),
               check=dict(allow_missing=[r'head\.lws']))
    with pytest.raises(ValueError, match=r"'head\\\\.lws' matches no key"):
        _train(cfg)


def test_module_prefix_is_stripped_and_unexpected_listed(tmp_path, stage1):
    """A state dict saved from a DDP-wrapped model (``module.`` keys), with
    one tensor the model has no place for."""
    state = torch.load(_ckpt(stage1), map_location='cpu',
                       weights_only=False)['state_dict']
    state = {f'module.{k}': v for k, v in state.items()}
    state['module.head.aux.weight'] = torch.zeros(3, 16)
    path = str(tmp_path / 'ddp_weights.pth')
    torch.save(state, path)
    _, records = _train(_cfg(tmp_path / 'run', load_from=path))
    [warning] = records.at(logging.WARNING)
    assert warning.splitlines()[1:-1] == [
        '  head.aux.weight: unexpected, not in the model (checkpoint shape '
        '(3, 16))'
    ]


def test_resume_is_not_checked(tmp_path, stage1):
    """Resuming (here a checkpoint with a tensor the model lacks) is left
    alone even with strict=True: it restores the run's own checkpoint."""
    checkpoint = torch.load(_ckpt(stage1), map_location='cpu',
                            weights_only=False)
    checkpoint['state_dict']['head.aux.weight'] = torch.zeros(3, 16)
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(checkpoint, path)
    cfg = _cfg(tmp_path, load_from=path, check=dict(strict=True), epochs=2,
               resume=True)
    runner, records = _train(cfg)
    assert runner.iter == 2  # resumed after iteration 1
    assert records.at(logging.WARNING) == []


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_ddp_wrapped_model(tmp_path, mismatched, monkeypatch):
    """Under mmengine's DDP wrapper the unwrapped model is compared: only
    the tensors that really do not fit are named."""
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(_free_port()))
    monkeypatch.setenv('LOCAL_RANK', '0')
    for key in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        monkeypatch.setenv(key, os.environ.get(key, '1'))
    torch_dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        cfg = _cfg(tmp_path, load_from=mismatched, check=dict(strict=True))
        cfg.launcher = 'pytorch'
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None)
        with pytest.raises(RuntimeError, match='3 tensors') as info:
            _train(cfg)
    finally:
        torch_dist.destroy_process_group()
    assert [line.strip() for line in str(info.value).splitlines()[1:4]] == \
        MISMATCH


def test_load_state_dict_pre_hooks_are_applied():
    """A module that converts the checkpoint while it loads (as MMPretrain's
    ViT resizes pos_embed) is compared after the conversion."""
    from mmlt.engine.hooks.load_from_check_hook import _as_loaded

    class Resizing(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.pos = torch.nn.Parameter(torch.zeros(4))
            self._register_load_state_dict_pre_hook(self._resize)

        def _resize(self, state_dict, prefix, *args):
            if prefix + 'old_pos' in state_dict:
                state_dict[prefix + 'pos'] = torch.zeros(4)
                del state_dict[prefix + 'old_pos']

    model = torch.nn.Sequential(Resizing(), torch.nn.Linear(2, 2))
    state = {'0.old_pos': torch.zeros(9), '1.weight': torch.zeros(2, 2),
             '1.bias': torch.zeros(2), 'extra': torch.zeros(1)}
    seen = _as_loaded(model, dict(state))
    assert set(seen) == {'0.pos', '1.weight', '1.bias', 'extra'}
    mismatch = compare_state_dicts(seen, model.state_dict())
    assert mismatch.unexpected == [('extra', (1, ))]
    assert not mismatch.shape and not mismatch.missing
    # what torch itself makes of it
    result = model.load_state_dict(state, strict=False)
    assert result.unexpected_keys == ['extra'] and not result.missing_keys


# ---------------------------------------------------------------------------
# the strict stage-2 configs

STAGE2 = {
    # stage-2 config: its stage-1 config (as in the config's commands)
    'two_stage/crt_resnet20_1xb128_fashion-mnist-lt1k-ir100.py':
    'baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py',
    'two_stage/crt_resnet32_1xb128_cifar10-lt-ir100.py':
    'baselines/resnet32_ce_1xb128_cifar10-lt-ir100.py',
    'two_stage/lws_resnet20_1xb128_fashion-mnist-lt1k-ir100.py':
    'baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py',
    'two_stage/lws_resnet32_1xb128_cifar10-lt-ir100.py':
    'baselines/resnet32_ce_1xb128_cifar10-lt-ir100.py',
    'cam_sampling/drs-cam_resnet20_1xb128_fashion-mnist-lt1k-ir100.py':
    'baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py',
    'cam_sampling/drs-cam_resnet32_1xb128_cifar10-lt-ir100.py':
    'cam_sampling/drs-cam-stage1_resnet32_1xb128_cifar10-lt-ir100.py',
    'cam_sampling/bot-combo_resnet20_1xb128_fashion-mnist-lt1k-ir100.py':
    'cam_sampling/bot-combo-stage1-mixup_resnet20_1xb128_fashion-mnist'
    '-lt1k-ir100.py',
    'cam_sampling/bot-combo_resnet32_1xb128_cifar10-lt-ir100.py':
    'cam_sampling/bot-combo-stage1-mixup_resnet32_1xb128_cifar10-lt-ir100.py',
    'finetune/crt_efficientnet-lite0_1xb64_fashion-mnist-lt1k-ir100-80x60.py':
    'baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py',
    'finetune/lws_efficientnet-lite0_1xb64_fashion-mnist-lt1k-ir100-80x60.py':
    'baselines/efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py',
    'combinations/logit-adjusted-crt_resnet20_1xb128_fashion-mnist-lt1k-'
    'ir100.py':
    'losses/logit-adjusted_resnet20_1xb128_fashion-mnist-lt1k-ir100.py',
    'mislas/mislas_resnet20_1xb128_fashion-mnist-lt1k-ir100.py':
    'cam_sampling/bot-combo-stage1-mixup_resnet20_1xb128_fashion-mnist'
    '-lt1k-ir100.py',
    'weight_balancing/wb_resnet20_1xb128_fashion-mnist-lt1k-ir100.py':
    'weight_balancing/wb-stage1_resnet20_1xb128_fashion-mnist-lt1k-ir100.py',
}
CONFIGS = osp.join(ROOT, 'configs')


def test_every_stage2_config_with_load_from_is_listed():
    with_load_from = {
        osp.relpath(p, CONFIGS)
        for p in glob.glob(osp.join(CONFIGS, '*', '*.py'))
        if '/_base_/' not in p and '/ensemble/' not in p
        and Config.fromfile(p).load_from
    }
    assert with_load_from == set(STAGE2)


@pytest.mark.parametrize('stage2', sorted(STAGE2))
def test_stage2_config_is_strict_and_fits_its_stage1(stage2, tmp_path):
    cfg = Config.fromfile(osp.join(CONFIGS, stage2))
    check = cfg.default_hooks.load_from_check
    assert check.type == 'LoadFromCheckHook' and check.strict is True
    hook = HOOKS.build(dict(check))
    stage1_cfg = Config.fromfile(osp.join(CONFIGS, STAGE2[stage2]))
    mismatch = compare_state_dicts(
        MODELS.build(stage1_cfg.model).state_dict(),
        MODELS.build(cfg.model).state_dict(), hook.allow_missing)
    assert not mismatch, mismatch.lines()
    # only LWS's scales, which no stage-1 model has, may be missing
    assert mismatch.allowed == (['head.lws_scale'] if cfg.model.head.get(
        'lws') else [])
    # the Runner builds (datasets are built lazily, at train time)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    assert [h for h in runner.hooks if isinstance(h, LoadFromCheckHook)
            and h.strict]
