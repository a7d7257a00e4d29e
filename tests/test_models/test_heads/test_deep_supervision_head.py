import copy
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.heads import (DeepSupervisionHead, find_head,
                               main_head_config, strip_auxiliary_heads)
from mmlt.registry import HOOKS, MODELS
from model_helpers import tiny_convnext

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
FASHION = osp.join(
    ROOT, 'configs', 'heads',
    'deep-supervision_resnet20_1xb128_fashion-mnist-lt1k-ir100.py')
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')
C = 3
CHANNELS = (4, 6, 8)  # three pooled stages; the main head reads the last


pytestmark = pytest.mark.usefixtures('one_thread')


def samples(labels, groups=None):
    out = []
    for i, label in enumerate(labels):
        s = DataSample().set_gt_label(label)
        if groups is not None:
            s.set_field(groups[i], 'group_id')
        out.append(s)
    return out


def feats(n=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(n, c, generator=g) for c in CHANNELS)


def build(**kwargs):
    cfg = dict(
        type='DeepSupervisionHead',
        head=dict(type='LTLinearClsHead', num_classes=C, in_channels=8,
                  loss=dict(type='CrossEntropyLoss')),
        aux_stages=(0, 1),
        aux_in_channels=(4, 6))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_keys_shapes_and_default_weights():
    head = build()
    assert isinstance(head, DeepSupervisionHead)
    assert head.loss_weights == [1.0, 0.3, 0.3]  # GoogLeNet's 0.3
    assert head.num_classes == C
    assert [h.in_channels for h in head.aux_heads] == [4, 6]
    # without aux_head the auxiliary classifiers copy the main head's config
    assert all(type(h).__name__ == 'LTLinearClsHead' for h in head.aux_heads)
    losses = head.loss(feats(), samples([0, 1, 2, 0, 1]))
    assert sorted(losses) == ['loss', 'loss_aux_stage0', 'loss_aux_stage1']
    assert all(v.dim() == 0 for v in losses.values())
    pred = head.predict(feats())
    assert len(pred) == 5 and pred[0].pred_score.shape == (C, )


def test_total_is_the_weighted_sum_computed_by_hand():
    head = build(loss_weights=[0.7, 0.2, 0.5])
    f = feats()
    label = torch.tensor([0, 1, 2, 0, 1])
    losses = head.loss(f, samples(label.tolist()))
    main = F.cross_entropy(head.main_head.fc(f[2]), label)
    aux0 = F.cross_entropy(head.aux_heads[0].fc(f[0]), label)
    aux1 = F.cross_entropy(head.aux_heads[1].fc(f[1]), label)
    torch.testing.assert_close(losses['loss'], 0.7 * main)
    torch.testing.assert_close(losses['loss_aux_stage0'], 0.2 * aux0)
    torch.testing.assert_close(losses['loss_aux_stage1'], 0.5 * aux1)
    torch.testing.assert_close(
        sum(losses.values()), 0.7 * main + 0.2 * aux0 + 0.5 * aux1)


def test_aux_weight_zero_gives_the_main_loss_only():
    head = build(loss_weights=[1.0, 0.0, 0.0])
    f = feats()
    label = [2, 1, 0, 0, 1]
    total = sum(head.loss(f, samples(label)).values())
    torch.testing.assert_close(
        total, head.main_head.loss(f, samples(label))['loss'])


def test_gradients_reach_every_classifier_and_feature():
    head = build()
    f = tuple(x.requires_grad_() for x in feats())
    sum(head.loss(f, samples([0, 1, 2, 0, 1])).values()).backward()
    for module in [head.main_head] + list(head.aux_heads):
        assert module.fc.weight.grad.abs().sum() > 0
    assert all(x.grad.abs().sum() > 0 for x in f)


def test_inference_uses_the_main_head_only():
    head = build()
    f = feats()
    before = head.predict(f)
    expected = head.main_head.predict(f)
    with torch.no_grad():
        for aux in head.aux_heads:
            aux.fc.weight.normal_()
            aux.fc.bias.fill_(3.0)
    head.loss_weights = [1.0, 5.0, 5.0]
    after = head.predict(f)
    for a, b, c in zip(before, after, expected):
        assert torch.equal(a.pred_score, b.pred_score)
        assert torch.equal(a.pred_score, c.pred_score)
    torch.testing.assert_close(head(f), head.main_head(f))
    assert torch.equal(head.pre_logits(f), f[-1])


def test_counts_and_group_weights_reach_main_and_aux_heads(tmp_path):
    # aux losses that need the counts get them, through LongTailContextHook
    from mmlt.datasets import DigitsLT
    head = build(
        head=dict(type='LTLinearClsHead', num_classes=10, in_channels=8,
                  loss=dict(type='BalancedSoftmaxLoss')))
    dataset = DigitsLT(split='train', test_per_class=40)
    runner = SimpleNamespace(
        train_dataloader=SimpleNamespace(dataset=dataset),
        model=SimpleNamespace(head=head),
        logger=SimpleNamespace(info=lambda *a: None,
                               warning=lambda *a: None),
        work_dir=str(tmp_path))
    assert find_head(runner.model) is head
    HOOKS.build(dict(type='LongTailContextHook', plot=False)) \
        .before_train(runner)
    assert head.class_counts_known
    for module in [head.main_head] + list(head.aux_heads):
        assert torch.equal(module.class_counts, head.class_counts)
    assert type(head.aux_heads[0].loss_module).__name__ == \
        'BalancedSoftmaxLoss'
    losses = head.loss(feats(4), samples([0, 3, 9, 5]))
    assert all(torch.isfinite(v) for v in losses.values())
    # the loss hooks see the main head's loss
    assert head.loss_module is head.main_head.loss_module
    head.set_group_weight({1: 2.0})
    assert all(m.group_weight == {1: 2.0}
               for m in [head.main_head] + list(head.aux_heads))
    assert head.group_weight == {1: 2.0}


def test_main_group_weight_applies_to_aux_heads():
    head = build(
        head=dict(type='LTLinearClsHead', num_classes=C, in_channels=8,
                  group_weight={1: 3.0}, loss=dict(type='CrossEntropyLoss')),
        aux_head=dict(type='LTLinearClsHead',
                      loss=dict(type='CrossEntropyLoss')))
    assert head.aux_heads[1].group_weight == {1: 3.0}
    f = feats(2)
    label = torch.tensor([0, 2])
    per = F.cross_entropy(head.aux_heads[0].fc(f[0]), label,
                          reduction='none')
    losses = head.loss(f, samples([0, 2], groups=[1, 0]))
    torch.testing.assert_close(losses['loss_aux_stage0'],
                               0.3 * (per * torch.tensor([3.0, 1.0])).mean())


@pytest.mark.parametrize('kwargs,match', [
    (dict(aux_stages=(0, 0), aux_in_channels=(4, 4)), 'repeats'),
    (dict(aux_stages=(-1, 1)), 'entry -1'),
    (dict(aux_stages=()), r'aux_stages=\(\)'),
    (dict(aux_in_channels=(4, )), r'aux_in_channels=\(4,\)'),
    (dict(aux_in_channels=(4, 0)), 'entry 0'),
    (dict(loss_weights=[1.0, 0.3]), r'loss_weights=\[1.0, 0.3\]'),
    (dict(loss_weights=[1.0, -0.3, 0.3]), 'entry -0.3'),
    (dict(loss_weights=[1.0, float('nan'), 0.3]), 'entry nan'),
])
def test_bad_arguments_raise_naming_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_bad_features_raise_naming_the_problem():
    head = build(aux_stages=(0, 5), aux_in_channels=(4, 6))
    with pytest.raises(ValueError, match=r'feature 5 .* gave 3 feature'):
        head.loss(feats(), samples([0] * 5))
    head = build()
    f = list(feats())
    f[0] = torch.randn(5, 4, 2, 2)
    with pytest.raises(ValueError, match=r'\(5, 4, 2, 2\).*'
                       'GlobalAveragePooling'):
        head.loss(tuple(f), samples([0] * 5))
    f = feats()
    with pytest.raises(ValueError, match='feature 1 has 6 channels but 7'):
        build(aux_in_channels=(4, 7)).loss(f, samples([0] * 5))


def _tiny_model_cfg():
    return dict(
        type='ImageClassifier',
        backbone=tiny_convnext(out_indices=(0, 1)),
        head=dict(
            type='DeepSupervisionHead',
            head=dict(type='LTLinearClsHead', num_classes=10,
                      in_channels=16, loss=dict(type='CrossEntropyLoss')),
            aux_stages=(0, ),
            aux_in_channels=(8, )))


def test_export_main_head_predicts_the_same(tmp_path):
    from tools.model_converters.export_main_head import main as export
    torch.manual_seed(0)
    model_cfg = _tiny_model_cfg()
    model = MODELS.build(copy.deepcopy(model_cfg)).eval()
    model.head.set_class_counts([5] * 10)
    x = torch.randn(3, 3, 32, 32)
    expected = model(x, mode='predict')
    # the functions
    exported = MODELS.build(main_head_config(model_cfg)).eval()
    exported.load_state_dict(strip_auxiliary_heads(model.state_dict()))
    assert type(exported.head).__name__ == 'LTLinearClsHead'
    assert exported.head.class_counts.tolist() == [5] * 10
    # the tool, on files
    cfg_file, ckpt = tmp_path / 'ds.py', tmp_path / 'ds.pth'
    Config(dict(model=model_cfg)).dump(str(cfg_file))
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    out_cfg, out_ckpt = tmp_path / 'main.py', tmp_path / 'main.pth'
    export([str(cfg_file), str(ckpt), str(out_cfg), str(out_ckpt)])
    state = torch.load(out_ckpt, weights_only=True)['state_dict']
    assert not any('aux' in k or 'main_head' in k for k in state)
    from_tool = MODELS.build(Config.fromfile(str(out_cfg)).model).eval()
    from_tool.load_state_dict(state)  # strict
    for m in (exported, from_tool):
        for a, b in zip(expected, m(x, mode='predict')):
            torch.testing.assert_close(a.pred_score, b.pred_score)
    with pytest.raises(ValueError, match="'head.main_head.'"):
        strip_auxiliary_heads(exported.state_dict())


def test_fashion_config_builds_and_trains_a_step():
    cfg = Config.fromfile(FASHION)
    model = MODELS.build(cfg.model)
    assert tuple(model.backbone.out_indices) == (0, 1, 2)
    assert [h.in_channels for h in model.head.aux_heads] == [16, 32]
    assert model.head.main_head.in_channels == 64
    x = torch.randn(2, 1, 28, 28)
    losses = model(x, samples([0, 1]), mode='loss')
    assert sorted(losses) == ['loss', 'loss_aux_stage0', 'loss_aux_stage1']


class _Outputs(Hook):
    def __init__(self):
        self.keys = set()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.keys |= set(outputs)


def test_runner_trains_and_checkpoint_exports(tmp_path):
    from tools.model_converters.export_main_head import main as export
    cfg = Config.fromfile(DEMO)
    cfg.model = _tiny_model_cfg()
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = 'deep_supervision_smoke'
    cfg.default_hooks.long_tail_context.plot = False
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.train_dataloader.num_batch_per_epoch = 2
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    outputs = _Outputs()
    runner.register_hook(outputs)
    runner.train()
    assert {'loss', 'loss_aux_stage0'} <= outputs.keys
    head = runner.model.head
    assert head.aux_heads[0].class_counts_known
    out_cfg, out_ckpt = tmp_path / 'main.py', tmp_path / 'main.pth'
    cfg_file = tmp_path / 'ds.py'
    cfg.dump(str(cfg_file))
    export([str(cfg_file), str(tmp_path / 'epoch_1.pth'), str(out_cfg),
            str(out_ckpt)])
    exported = MODELS.build(Config.fromfile(str(out_cfg)).model).eval()
    exported.load_state_dict(
        torch.load(out_ckpt, weights_only=True)['state_dict'])
    model = runner.model.eval()
    x = torch.randn(2, 3, 32, 32)
    for a, b in zip(model(x, mode='predict'), exported(x, mode='predict')):
        torch.testing.assert_close(a.pred_score, b.pred_score)
