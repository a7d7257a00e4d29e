import inspect
import math
import re

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample
from torch import nn

import mmlt  # noqa: F401
from mmlt.models.heads.lt_linear_head import logit_adjustment_refusal
from mmlt.registry import MODELS


@MODELS.register_module(force=True)
class _RecordingLoss(nn.Module):
    """Records the counts the head hands over and what it passes per batch
    (test helper)."""

    extra_inputs = ('group_id', )

    def __init__(self):
        super().__init__()
        self.counts = []
        self.seen = {}

    def set_class_counts(self, counts):
        self.counts.append(counts.clone())

    def forward(self, cls_score, label, weight=None, avg_factor=None,
                reduction_override=None, group_id=None):
        self.seen = dict(group_id=group_id, avg_factor=avg_factor)
        return nn.functional.cross_entropy(cls_score, label)


@MODELS.register_module(force=True)
class _FeatsLoss(nn.Module):

    extra_inputs = ('feats', )

    def __init__(self):
        super().__init__()
        self.seen = None

    def forward(self, cls_score, label, feats=None, **kwargs):
        self.seen = (feats, sorted(kwargs))
        return cls_score.sum() * 0


def samples(labels, groups=None):
    out = []
    for i, label in enumerate(labels):
        s = DataSample().set_gt_label(label)
        if groups is not None and groups[i] is not None:
            s.set_field(groups[i], 'group_id', field_type='metainfo')
        out.append(s)
    return out


def build(loss):
    return MODELS.build(
        dict(type='LTLinearClsHead', num_classes=3, in_channels=4, loss=loss))


@MODELS.register_module(force=True)
class _UndeclaredLoss(nn.Module):
    """Names ``feats`` and ``group_id`` in ``forward`` but declares no
    ``extra_inputs``: it gets neither (test helper)."""

    def __init__(self):
        super().__init__()
        self.seen = None

    def forward(self, cls_score, label, weight=None, avg_factor=None,
                reduction_override=None, feats='unset', group_id='unset'):
        self.seen = (feats, group_id)
        return cls_score.sum() * 0


def test_head_hands_counts_once_and_passes_groups_the_loss_declares():
    head = build(dict(type='_RecordingLoss'))
    assert head.loss_module.counts == []  # unknown counts are not handed
    head.set_class_counts([5, 3, 1])
    feats = (torch.randn(3, 4), )
    for _ in range(2):
        losses = head.loss(feats,
                           samples([0, 1, 2], [1, 0, torch.tensor(2)]))
    assert torch.isfinite(losses['loss'])
    # once, when the head received them; none per batch
    assert [c.tolist() for c in head.loss_module.counts] == [[5, 3, 1]]
    seen = head.loss_module.seen
    assert seen['group_id'].tolist() == [1, 0, 2]
    assert seen['group_id'].dtype == torch.long
    # a sample without group id is an error, not group 0
    with pytest.raises(ValueError, match=r'_RecordingLoss \(its '
                       r'extra_inputs name group_id\) needs the group_id of '
                       'every '
                       'sample, but sample 1 of the batch has no group_id'):
        head.loss(feats, samples([0, 1, 2], [1, None, 2]))


def test_head_passes_only_declared_inputs_to_var_keyword_losses():
    head = build(dict(type='_FeatsLoss'))
    head.set_class_counts([1, 1, 1])
    x = torch.randn(2, 4)
    head.loss((x, ), samples([0, 2]))
    feats, keys = head.loss_module.seen
    assert torch.equal(feats, x)
    # **kwargs gets none of class_counts / group_id
    assert keys == ['avg_factor']


def test_inputs_named_in_forward_but_not_declared_are_not_passed():
    head = build(dict(type='_UndeclaredLoss'))
    head.loss((torch.randn(2, 4), ), samples([0, 2], [1, 0]))
    assert head.loss_module.seen == ('unset', 'unset')


@pytest.mark.parametrize('extra_inputs', ['feats', ('feat', ), ('labels', )])
def test_misspelt_extra_inputs_are_refused_when_the_head_is_built(
        extra_inputs):
    loss = MODELS.build(dict(type='_UndeclaredLoss'))
    loss.extra_inputs = extra_inputs
    with pytest.raises(TypeError, match=re.escape(
            f'_UndeclaredLoss.extra_inputs={extra_inputs!r} must be a tuple '
            "of names from ('group_id', 'feats')")):
        build(loss)


@pytest.mark.parametrize('loss', [
    dict(type='CrossEntropyLoss'),
    dict(type='LabelSmoothLoss', label_smooth_val=0.1)
])
def test_mmpretrain_var_keyword_losses_train(loss):
    # they forward **kwargs to functions that reject unknown names
    head = build(loss)
    head.set_class_counts([1, 1, 1])
    losses = head.loss((torch.randn(2, 4), ), samples([0, 2], [1, 0]))
    assert torch.isfinite(losses['loss'])


def test_mmpretrain_losses_get_nothing_extra():
    head = build(dict(type='FocalLoss'))
    losses = head.loss((torch.randn(2, 4), ), samples([0, 2], [1, 1]))
    assert torch.isfinite(losses['loss'])


def test_counts_are_a_saved_buffer_and_validated():
    head = build(dict(type='CrossEntropyLoss'))
    assert not head.class_counts_known
    head.set_class_counts([4, 0, 2])
    assert head.class_counts_known
    state = head.state_dict()
    assert state['class_counts'].tolist() == [4, 0, 2]
    other = build(dict(type='CrossEntropyLoss'))
    other.load_state_dict(state)
    assert other.class_counts.tolist() == [4, 0, 2]
    with pytest.raises(ValueError, match='num_classes=3 but got class '
                       'counts for 2 classes'):
        head.set_class_counts([1, 2])
    with pytest.raises(ValueError, match='non-negative integers'):
        head.set_class_counts([1, -2, 3])
    with pytest.raises(ValueError, match='non-negative integers'):
        head.set_class_counts([1.5, 2, 3])


def test_loss_needing_counts_fails_clearly_when_unset():
    head = build(dict(type='LDAMLoss'))
    with pytest.raises(RuntimeError, match='LDAMLoss needs the training '
                       'class counts.*LongTailContextHook'):
        head.loss((torch.randn(2, 4), ), samples([0, 1]))
    head.set_class_counts([4, 2, 1])
    assert torch.isfinite(head.loss((torch.randn(2, 4), ),
                                    samples([0, 1]))['loss'])


def test_zero_count_class_refused_when_the_loss_receives_counts():
    with pytest.raises(ValueError, match=r'class\(es\) \[1\] have none'):
        build(dict(type='BalancedSoftmaxLoss')).set_class_counts([4, 0, 2])
    # a loss that does not use counts trains
    head = build(dict(type='SoftmaxFocalLoss'))
    head.set_class_counts([4, 0, 2])
    assert torch.isfinite(head.loss((torch.randn(2, 4), ),
                                    samples([0, 2]))['loss'])


@pytest.mark.parametrize('loss', [
    dict(type='LDAMLoss'), dict(type='SoftmaxEQLLoss', freq_threshold=0.3),
    dict(type='InfluenceBalancedLoss'),
    dict(type='SoftmaxFocalLoss', alpha='inverse_frequency')])
def test_loading_a_checkpoint_rederives_the_loss_buffers(loss, tmp_path):
    from mmengine.runner import load_checkpoint, save_checkpoint
    trained = build(loss)
    trained.set_class_counts([40, 7, 1])
    buffers = dict(trained.loss_module.named_buffers())
    assert buffers and not any(
        k.startswith('loss_module.') for k in trained.state_dict())
    x, data = torch.randn(6, 4), samples([0, 1, 2, 0, 1, 2])
    torch.manual_seed(0)
    expected = trained.loss((x, ), data)['loss']
    # nn.Module.load_state_dict
    fresh = build(loss)
    fresh.load_state_dict(trained.state_dict())
    # mmengine's load_checkpoint (Runner.load_checkpoint, resume, load_from)
    save_checkpoint({'state_dict': trained.state_dict()},
                    str(tmp_path / 'head.pth'))
    loaded = build(loss)
    load_checkpoint(loaded, str(tmp_path / 'head.pth'), map_location='cpu')
    for head in (fresh, loaded):
        assert head.class_counts.tolist() == [40, 7, 1]
        got = dict(head.loss_module.named_buffers())
        assert got.keys() == buffers.keys()
        for name, value in buffers.items():
            assert torch.equal(got[name], value), name
        torch.manual_seed(0)
        torch.testing.assert_close(head.loss((x, ), data)['loss'], expected)
    # a checkpoint whose head never knew its counts hands none over
    unknown = build(loss)
    unknown.load_state_dict(build(dict(type='CrossEntropyLoss')).state_dict())
    assert unknown.loss_module.num_count_classes is None


def test_predict_is_unchanged():
    head = build(dict(type='CrossEntropyLoss'))
    out = head.predict((torch.randn(2, 4), ))
    assert out[0].pred_score.shape == (3, )


def test_group_weight_scales_each_samples_loss():
    head = MODELS.build(
        dict(
            type='LTLinearClsHead',
            num_classes=3,
            in_channels=4,
            group_weight={1: 2.0, '3': 0.5},
            loss=dict(type='CrossEntropyLoss')))
    assert head.group_weight == {1: 2.0, 3: 0.5}
    x = torch.randn(4, 4)
    data = samples([0, 1, 2, 1], [1, 0, 3, 7])  # group 7 is not listed: 1.0
    per_sample = nn.functional.cross_entropy(
        head.fc(x), torch.tensor([0, 1, 2, 1]), reduction='none')
    expected = (per_sample * torch.tensor([2.0, 1.0, 0.5, 1.0])).mean()
    torch.testing.assert_close(head.loss((x, ), data)['loss'], expected)
    head.set_group_weight(None)
    torch.testing.assert_close(head.loss((x, ), data)['loss'],
                               per_sample.mean())


def test_group_weight_with_mmlt_loss_and_soft_labels():
    head = MODELS.build(
        dict(
            type='LTLinearClsHead',
            num_classes=3,
            in_channels=4,
            group_weight={1: 0.0},
            loss=dict(type='LogitAdjustedLoss')))
    head.set_class_counts([5, 3, 1])
    data = samples([0, 1], [1, 1])
    for s in data:
        s.set_gt_score(torch.tensor([0.5, 0.5, 0.0]))
    assert head.loss((torch.randn(2, 4), ), data)['loss'].item() == 0


@pytest.mark.parametrize('group_weight, message', [
    ({-1: 2.0}, 'key -1'),
    ({True: 2.0}, 'key True'),
    ({'a': 2.0}, "key 'a'"),
    ({1: -0.5}, r'group_weight\[1\]=-0.5'),
    ({1: float('nan')}, r'group_weight\[1\]=nan'),
])
def test_group_weight_is_validated(group_weight, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(
            dict(
                type='LTLinearClsHead',
                num_classes=3,
                in_channels=4,
                group_weight=group_weight))
    with pytest.raises(TypeError, match='dict'):
        build(dict(type='CrossEntropyLoss')).set_group_weight([2.0])


def test_group_weight_needs_a_loss_taking_weight():
    with pytest.raises(ValueError, match='no weight argument'):
        build(dict(type='_FeatsLoss')).set_group_weight({1: 2.0})


def test_post_hoc_logit_adjustment_in_predict_only():
    head = MODELS.build(
        dict(
            type='LTLinearClsHead',
            num_classes=3,
            in_channels=4,
            logit_adjust_tau=1.0,
            loss=dict(type='CrossEntropyLoss')))
    x = torch.randn(5, 4)
    with pytest.raises(RuntimeError, match='class counts'):
        head.predict((x, ))
    head.set_class_counts([60, 30, 10])
    prior = torch.tensor([0.6, 0.3, 0.1])
    out = head.predict((x, ))
    expected = torch.softmax(head.fc(x) - torch.log(prior), dim=1)
    torch.testing.assert_close(torch.stack([o.pred_score for o in out]),
                               expected)
    # training is unchanged
    plain = build(dict(type='CrossEntropyLoss'))
    plain.load_state_dict(head.state_dict())
    data = samples([0, 1, 2, 0, 1])
    torch.testing.assert_close(head.loss((x, ), data)['loss'],
                               plain.loss((x, ), data)['loss'])
    head.set_class_counts([60, 0, 10])
    with pytest.raises(ValueError, match=r'class\(es\) \[1\] have none'):
        head.predict((x, ))
    with pytest.raises(ValueError, match='logit_adjust_tau=-1'):
        MODELS.build(
            dict(
                type='LTLinearClsHead',
                num_classes=3,
                in_channels=4,
                logit_adjust_tau=-1))


def test_post_hoc_logit_adjustment_scales_the_log_prior_by_tau():
    """τ = 0.5 against z − 0.5·log π in float64, one class at a time: a
    head that dropped τ (or squared it) would fail here, not at τ = 1."""
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
             logit_adjust_tau=0.5, loss=dict(type='CrossEntropyLoss')))
    head.double()
    counts = [60, 30, 10]
    head.set_class_counts(counts)
    x = torch.randn(5, 4, dtype=torch.float64)
    z = head.fc(x).detach()
    adjusted = torch.empty_like(z)
    for c, n in enumerate(counts):
        adjusted[:, c] = z[:, c] - 0.5 * math.log(n / sum(counts))
    expected = torch.softmax(adjusted, dim=1)
    got = torch.stack([o.pred_score for o in head.predict((x, ))])
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    # τ matters: τ = 1 and τ = 0 give other scores
    for tau in (1.0, 0.0):
        other = torch.softmax(z - tau * torch.log(
            torch.tensor(counts, dtype=torch.float64) / sum(counts)), dim=1)
        assert (other - expected).abs().max() > 1e-3


@pytest.mark.parametrize('tau', [
    -1, -0.5, float('nan'), float('inf'), float('-inf'), True, False,
    '1.0', None, [1.0]
])
def test_logit_adjust_tau_is_validated(tau):
    with pytest.raises(ValueError,
                       match=re.escape(f'logit_adjust_tau={tau!r} must be '
                                       'a finite real number >= 0')):
        MODELS.build(
            dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
                 logit_adjust_tau=tau))


@pytest.mark.parametrize('tau', [0, 0.5, 2, np.float64(1.5)])
def test_logit_adjust_tau_accepts_finite_reals(tau):
    head = MODELS.build(
        dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
             logit_adjust_tau=tau))
    assert head.logit_adjust_tau == float(tau)
    assert type(head.logit_adjust_tau) is float


@pytest.mark.parametrize('loss', [
    None,  # LinearClsHead's default, CrossEntropyLoss
    dict(type='CrossEntropyLoss'),
    dict(type='CrossEntropyLoss', use_soft=True),  # Mixup / CutMix
    dict(type='LabelSmoothLoss', label_smooth_val=0.1),
    dict(type='LabelSmoothLoss', label_smooth_val=0.1,
         mode='classy_vision'),
])
def test_logit_adjustment_follows_softmax_cross_entropy(loss):
    cfg = dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
               logit_adjust_tau=1.0)
    if loss is not None:
        cfg['loss'] = loss
    head = MODELS.build(cfg)
    assert logit_adjustment_refusal(head.loss_module) is None


# losses the adjustment does not follow: what the error says of each
REFUSED = [
    (dict(type='FocalLoss'), 'FocalLoss trains one-vs-rest sigmoid scores'),
    (dict(type='CrossEntropyLoss', use_sigmoid=True),
     r'CrossEntropyLoss\(use_sigmoid=True\) trains one-vs-rest sigmoid'),
    (dict(type='CrossEntropyLoss', class_weight=[1.0, 2.0, 3.0]),
     r'CrossEntropyLoss\(class_weight=\[1.0, 2.0, 3.0\]\) weights the '
     'classes'),
    (dict(type='LabelSmoothLoss', label_smooth_val=0.1,
          class_weight=[1.0, 2.0, 3.0]), 'LabelSmoothLoss.*weights the'),
    (dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='multi_label',
          use_sigmoid=True), "mode='multi_label'.*sigmoid"),
    (dict(type='AsymmetricLoss'), 'AsymmetricLoss trains one-vs-rest'),
    (dict(type='BalancedSoftmaxLoss'),
     'BalancedSoftmaxLoss trains on z \\+ log π.*a second time'),
    (dict(type='LogitAdjustedLoss'),
     'LogitAdjustedLoss trains on z \\+ τ·log π.*a second time'),
    (dict(type='LDAMLoss'), 'LDAMLoss takes a class-dependent margin'),
    (dict(type='SoftmaxFocalLoss'), 'SoftmaxFocalLoss .*not log p'),
    (dict(type='ClassBalancedLoss'), 'ClassBalancedLoss .*re-weighted'),
    (dict(type='CostSensitiveCELoss'), 'CostSensitiveCELoss .*re-weighted'),
    (dict(type='_RecordingLoss'),
     '_RecordingLoss is not softmax cross-entropy'),
]


@pytest.mark.parametrize('loss, reason', REFUSED,
                         ids=[loss['type'] + str(i) for i, (loss, _) in
                              enumerate(REFUSED)])
def test_logit_adjustment_on_another_loss_is_refused_at_build(loss, reason):
    cfg = dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
               logit_adjust_tau=1.0, loss=loss)
    with pytest.raises(ValueError) as info:
        MODELS.build(cfg)
    message = str(info.value)
    assert re.search(reason, message), message
    assert 'LTLinearClsHead(logit_adjust_tau=1.0)' in message
    # what to do
    assert 'Train with CrossEntropyLoss' in message
    assert 'logit_adjust_tau=0' in message
    assert 'model.head.logit_adjust_any_loss=True' in message
    # off, the loss is fine; the opt-in lets a tuned τ through
    MODELS.build(dict(cfg, logit_adjust_tau=0.0))
    head = MODELS.build(dict(cfg, logit_adjust_tau=0.7,
                             logit_adjust_any_loss=True))
    assert head.logit_adjust_tau == 0.7


def _mmlt_loss_names():
    """Every loss class mmlt registers (its own classes, not test
    helpers)."""
    from mmlt.models.losses import BaseLTLoss
    return sorted(
        name for name, cls in MODELS.module_dict.items()
        if inspect.isclass(cls) and issubclass(cls, BaseLTLoss)
        and cls.__module__.startswith('mmlt.'))


@pytest.mark.parametrize('name', _mmlt_loss_names())
def test_every_mmlt_loss_is_refused(name):
    """mmlt's losses re-weight, put margins or use the prior: none of them
    trains the softmax-calibrated logits the adjustment assumes, and each
    says so in its own class (``logit_kind``)."""
    reason = logit_adjustment_refusal(MODELS.build(dict(type=name)))
    assert reason is not None and reason.startswith(name)
    assert 'not softmax cross-entropy' not in reason  # a reason of its own


def test_opt_in_applies_the_adjustment_and_is_validated():
    head = MODELS.build(
        dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
             logit_adjust_tau=0.5, logit_adjust_any_loss=True,
             loss=dict(type='FocalLoss')))
    head.set_class_counts([60, 30, 10])
    x = torch.randn(4, 4)
    expected = torch.softmax(
        head.fc(x) - 0.5 * torch.log(torch.tensor([0.6, 0.3, 0.1])), dim=1)
    torch.testing.assert_close(
        torch.stack([o.pred_score for o in head.predict((x, ))]), expected)
    with pytest.raises(TypeError, match="logit_adjust_any_loss='yes'"):
        MODELS.build(
            dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
                 logit_adjust_any_loss='yes'))


@pytest.mark.parametrize('head', [
    dict(type='CosineClsHead', s=1.0, loss=dict(type='LDAMLoss')),
    dict(type='LTNormedLinearClsHead', loss=dict(type='LDAMLoss')),
    dict(type='CosineClsHead', loss=dict(type='FocalLoss')),
])
def test_subclasses_refuse_it_too(head):
    cfg = dict(num_classes=3, in_channels=4, logit_adjust_tau=1.0, **head)
    loss = head['loss']['type']
    with pytest.raises(ValueError, match=f'{head["type"]}.*{loss}'):
        MODELS.build(cfg)
    MODELS.build(dict(cfg, logit_adjust_any_loss=True))


@pytest.mark.parametrize('wrapper', [
    dict(type='DeepSupervisionHead', aux_stages=[0], aux_in_channels=[2]),
    dict(type='GroupMultiTaskHead', num_groups=2),
])
def test_wrapper_heads_refuse_it_through_their_main_head(wrapper):
    main = dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
                logit_adjust_tau=1.0, loss=dict(type='FocalLoss'))
    with pytest.raises(ValueError, match='FocalLoss trains one-vs-rest'):
        MODELS.build(dict(wrapper, head=main))
    main['loss'] = dict(type='CrossEntropyLoss')
    head = MODELS.build(dict(wrapper, head=main))
    assert head.main_head.logit_adjust_tau == 1.0


def test_normed_head_gives_cosines_for_ldam():
    head = MODELS.build(
        dict(
            type='LTNormedLinearClsHead',
            num_classes=3,
            in_channels=4,
            loss=dict(type='LDAMLoss')))
    head.set_class_counts([50, 10, 2])
    assert head.fc.bias is None
    x = torch.randn(6, 4) * 10
    cos = head((x, ))
    expected = nn.functional.normalize(x) @ nn.functional.normalize(
        head.fc.weight).t()
    torch.testing.assert_close(cos, expected)
    assert cos.abs().max() <= 1 + 1e-6
    losses = head.loss((x, ), samples([0, 1, 2, 0, 1, 2]))
    losses['loss'].backward()
    assert torch.isfinite(head.fc.weight.grad).all()


def _classifier():
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet_CIFAR', depth=18),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LTLinearClsHead',
                num_classes=3,
                in_channels=512,
                loss=dict(type='CrossEntropyLoss'))))


def test_find_head_through_tta_and_ensembles():
    from mmlt.models.heads import find_head
    model = _classifier()
    assert find_head(model) is model.head
    tta = MODELS.build(dict(type='AverageClsScoreTTA', module=model))
    assert find_head(tta) is model.head

    class Ensemble(nn.Module):

        def __init__(self, members):
            super().__init__()
            self.members = nn.ModuleDict(members)

    a, b = _classifier(), _classifier()
    assert find_head(Ensemble(dict(a=a, b=b))) is a.head
    b.head.set_class_counts([5, 3, 1])  # the member that knows its counts
    assert find_head(Ensemble(dict(a=a, b=b))) is b.head
    assert find_head(nn.Linear(2, 2)) is None
