import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.evaluation.metrics.long_tail_metric import LongTailMetric
from mmlt.models.heads import GroupMultiTaskHead, group_targets
from mmlt.registry import MODELS
from model_helpers import tiny_convnext

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DIGITS = osp.join(ROOT, 'configs', 'heads',
                  'group-multitask_convnext-atto_2xb32_digits-lt.py')
C, D, G = 4, 6, 3


pytestmark = pytest.mark.usefixtures('one_thread')


def samples(labels, groups=None):
    out = []
    for i, label in enumerate(labels):
        s = DataSample().set_gt_label(label)
        if groups is not None and groups[i] is not None:
            s.set_field(groups[i], 'group_id')
        out.append(s)
    return out


def build(**kwargs):
    cfg = dict(
        type='GroupMultiTaskHead',
        head=dict(type='LTLinearClsHead', num_classes=C, in_channels=D,
                  loss=dict(type='CrossEntropyLoss')),
        num_groups=G,
        group_loss_weight=0.5)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_losses_by_hand():
    torch.manual_seed(0)
    head = build()
    assert head.in_channels == D and head.num_classes == C
    x = torch.randn(4, D)
    labels, groups = [0, 1, 3, 2], [2, 0, 1, torch.tensor(2)]
    losses = head.loss((x, ), samples(labels, groups))
    assert sorted(losses) == ['loss', 'loss_group']
    torch.testing.assert_close(
        losses['loss'], F.cross_entropy(head.main_head.fc(x),
                                        torch.tensor(labels)))
    torch.testing.assert_close(
        losses['loss_group'],
        0.5 * F.cross_entropy(head.group_fc(x), torch.tensor([2, 0, 1, 2])))
    zero = build(group_loss_weight=0.0)
    assert zero.loss((x, ), samples(labels, groups))['loss_group'].item() \
        == 0.0


def test_gradients_flow_to_both_classifiers_and_the_feature():
    head = build()
    x = torch.randn(4, D, requires_grad=True)
    losses = head.loss((x, ), samples([0, 1, 2, 3], [0, 1, 2, 0]))
    losses['loss_group'].backward()
    assert head.group_fc.weight.grad.abs().sum() > 0
    assert head.main_head.fc.weight.grad is None
    assert x.grad.abs().sum() > 0


def test_predictions_hold_class_and_group():
    torch.manual_seed(0)
    head = build()
    x = torch.randn(5, D)
    pred = head.predict((x, ))
    main = head.main_head.predict((x, ))
    prob = torch.softmax(head.group_fc(x), dim=1)
    for i, p in enumerate(pred):
        assert torch.equal(p.pred_score, main[i].pred_score)
        torch.testing.assert_close(p.pred_group_score, prob[i])
        assert p.pred_group_label.tolist() == [int(prob[i].argmax())]
    # given data samples are filled in place, as MMPretrain's heads do
    given = samples([0] * 5, [1] * 5)
    out = head.predict((x, ), given)
    assert out[0] is given[0] and 'pred_group_label' in given[0]


def test_metric_reports_the_group_head_accuracy_by_hand_count():
    torch.manual_seed(1)
    head = build()
    x = torch.randn(40, D)
    labels = torch.randint(0, C, (40, )).tolist()
    groups = torch.randint(0, G, (40, )).tolist()
    data = samples(labels, groups)
    pred = head.predict((x, ), data)
    hits = [int(p.pred_group_label) == groups[i] for i, p in enumerate(pred)]
    metric = LongTailMetric(topk=(1, ), print_report=False)
    metric.process(None, [p.to_dict() for p in pred])
    result = metric.compute_metrics(metric.results)
    assert result['group_head_accuracy'] == pytest.approx(
        100 * sum(hits) / 40)
    assert 0 < sum(hits) < 40  # an untrained head: not trivially 0 or 100
    # a batch where one sample lost its group id is refused, not scored
    data[3] = DataSample().set_gt_label(labels[3])
    pred = head.predict((x, ), data)
    with pytest.raises(ValueError, match='LongTailMetric needs the group_id '
                       'of every sample, but sample 3 of the batch has no '
                       'group_id'):
        LongTailMetric(topk=(1, ), print_report=False).process(
            None, [p.to_dict() for p in pred])
    # class predictions without a group head: no such key
    plain = head.main_head.predict((x, ), samples(labels, groups))
    metric = LongTailMetric(topk=(1, ), print_report=False)
    metric.process(None, [p.to_dict() for p in plain])
    assert 'group_head_accuracy' not in metric.compute_metrics(
        metric.results)


@pytest.mark.parametrize('groups,match', [
    ([0, 3], r'sample 1: group_id 3 is outside \[0, num_groups=3\)'),
    ([-1, 0], 'sample 0 of the batch: group_id=-1 must be one integer'),
    ([0, None], 'sample 1 of the batch has no group_id'),
    ([0, torch.tensor([1, 2])], r'\[1, 2\]'),
    ([0.5, 1], 'group_id=0.5 must be one integer'),
])
def test_unknown_group_ids_raise_naming_the_value(groups, match):
    head = build()
    with pytest.raises(ValueError, match=match):
        head.loss((torch.randn(2, D), ), samples([0, 1], groups))
    with pytest.raises(ValueError, match=match):
        group_targets(samples([0, 1], groups), 3, torch.device('cpu'))


@pytest.mark.parametrize('kwargs,match', [
    (dict(num_groups=1), 'num_groups=1'),
    (dict(num_groups=2.0), 'num_groups=2.0'),
    (dict(group_loss_weight=-1), 'group_loss_weight=-1'),
    (dict(group_loss_weight=float('inf')), 'group_loss_weight=inf'),
    (dict(in_channels=0), 'in_channels=0'),
])
def test_bad_arguments_raise_naming_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_wrong_feature_width_raises():
    head = build(in_channels=5)
    with pytest.raises(ValueError, match='6 channels but 5'):
        head.predict((torch.randn(2, D), ))


def test_hooks_reach_the_main_head():
    head = build()
    head.set_class_counts([3, 2, 1, 1])
    assert head.class_counts_known
    assert head.main_head.class_counts.tolist() == [3, 2, 1, 1]
    head.set_group_weight({2: 4.0})
    assert head.main_head.group_weight == {2: 4.0}
    assert head.loss_module is head.main_head.loss_module


class _Outputs(Hook):

    def __init__(self):
        self.keys = set()
        self.metrics = None

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.keys |= set(outputs)

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = metrics


def test_runner_smoke_on_digits(tmp_path):
    cfg = Config.fromfile(DIGITS)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = 'group_multitask_smoke'
    # a two-stage ConvNeXt (8 and 16 channels): the head is under test
    cfg.model.backbone = tiny_convnext()
    cfg.model.head.head.in_channels = 16
    cfg.default_hooks.long_tail_context.plot = False
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.train_dataloader.num_batch_per_epoch = 2
    cfg.val_dataloader.num_batch_per_epoch = 2
    cfg.val_evaluator = dict(type='LongTailMetric', topk=(1, ),
                             print_report=False)
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=0)
    runner = Runner.from_cfg(cfg)
    outputs = _Outputs()
    runner.register_hook(outputs)
    runner.train()
    assert {'loss', 'loss_group'} <= outputs.keys
    assert isinstance(runner.model.head, GroupMultiTaskHead)
    assert runner.model.head.main_head.class_counts_known
    metrics = outputs.metrics
    assert 0 <= metrics['long_tail/group_head_accuracy'] <= 100
    assert 'long_tail/top1' in metrics
