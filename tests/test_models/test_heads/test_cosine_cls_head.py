import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models import losses as lt_losses
from mmlt.models.heads import CosineClsHead, cosine_margin_logits
from mmlt.registry import MODELS

C, D = 4, 6


def samples(labels, groups=None, scores=None):
    out = []
    for i, label in enumerate(labels):
        s = DataSample().set_gt_label(label)
        if scores is not None:
            s.set_gt_score(scores[i])
        if groups is not None:
            s.set_field(groups[i], 'group_id')
        out.append(s)
    return out


def build(**kwargs):
    cfg = dict(type='CosineClsHead', num_classes=C, in_channels=D,
               loss=dict(type='CrossEntropyLoss'))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def hand_cosine(h, w):
    """cos(h_i, w_c) in float64, one pair at a time."""
    out = torch.empty(h.shape[0], w.shape[0], dtype=torch.float64)
    for i in range(h.shape[0]):
        for c in range(w.shape[0]):
            out[i, c] = (h[i] @ w[c]) / (h[i].norm() * w[c].norm())
    return out


def hand_logits(cos, label, s, m, margin_type):
    z = torch.empty_like(cos)
    for i in range(cos.shape[0]):
        for j in range(cos.shape[1]):
            c = float(cos[i, j])
            if margin_type == 'cosface':
                z[i, j] = s * (c - m) if j == label[i] else s * c
            elif j == label[i]:
                z[i, j] = s * max(1 + m - c, 0) * (c - (1 - m))
            else:
                z[i, j] = s * max(c + m, 0) * (c - m)
    return z


def test_paper_defaults():
    head = build()
    assert (head.s, head.m, head.margin_type) == (64.0, 0.35, 'cosface')
    circle = build(margin_type='circle')
    assert (circle.s, circle.m) == (256.0, 0.25)
    assert build(s=10, m=0.1).s == 10.0
    assert head.bnneck is None and not head.fc.bias


@pytest.mark.parametrize('margin_type,s,m', [('cosface', 30.0, 0.35),
                                             ('cosface', 7.0, 0.0),
                                             ('circle', 16.0, 0.25),
                                             ('circle', 5.0, 0.4)])
def test_loss_matches_formula_in_float64(margin_type, s, m):
    torch.manual_seed(0)
    head = build(s=s, m=m, margin_type=margin_type).double()
    h = torch.randn(5, D, dtype=torch.float64)
    label = torch.tensor([0, 1, 2, 3, 1])
    cos = hand_cosine(h, head.fc.weight.detach())
    expected_z = hand_logits(cos, label, s, m, margin_type)
    z = cosine_margin_logits(
        F.normalize(h) @ F.normalize(head.fc.weight).T, label, s, m,
        margin_type)
    torch.testing.assert_close(z, expected_z, rtol=1e-12, atol=1e-12)
    loss = head.loss((h, ), samples(label.tolist()))['loss']
    torch.testing.assert_close(loss, F.cross_entropy(expected_z, label),
                               rtol=1e-12, atol=1e-12)
    # inference: s * cos, no margin
    torch.testing.assert_close(head((h, )), s * cos, rtol=1e-12, atol=1e-12)
    pred = head.predict((h, ))
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in pred]),
        torch.softmax(s * cos, dim=1), rtol=1e-12, atol=1e-12)
    assert [int(p.pred_label) for p in pred] == cos.argmax(1).tolist()


def test_circle_cross_entropy_is_circle_loss():
    # log(1 + sum_j exp(g a_n (s_n - m)) exp(-g a_p (s_p - 1 + m))), Sun et
    # al. 2020 Eq. 6 with one positive
    torch.manual_seed(1)
    cos = torch.rand(3, C, dtype=torch.float64) * 2 - 1
    label = torch.tensor([2, 0, 3])
    g, m = 32.0, 0.25
    z = cosine_margin_logits(cos, label, g, m, 'circle')
    for i in range(3):
        sp = cos[i, label[i]]
        ap = max(float(1 + m - sp), 0)
        total = sum(
            math.exp(g * max(float(cos[i, j]) + m, 0) *
                     (float(cos[i, j]) - m)) for j in range(C)
            if j != label[i])
        circle = math.log1p(total * math.exp(-g * ap * float(sp - 1 + m)))
        ce = F.cross_entropy(z[i:i + 1], label[i:i + 1])
        assert float(ce) == pytest.approx(circle, rel=1e-10)


def test_circle_weights_are_constants():
    cos = torch.tensor([[0.3, -0.2, 0.6]], dtype=torch.float64,
                       requires_grad=True)
    z = cosine_margin_logits(cos, torch.tensor([0]), 2.0, 0.25, 'circle')
    z.sum().backward()
    # d z / d cos = s * alpha (alpha detached)
    expected = 2.0 * torch.tensor([[1.25 - 0.3, 0.05, 0.85]],
                                  dtype=torch.float64)
    torch.testing.assert_close(cos.grad, expected)


def test_gradients_flow_and_bnneck_bias_stays_frozen():
    torch.manual_seed(0)
    head = build(s=8.0, m=0.2, bnneck=True)
    assert not head.bnneck.bias.requires_grad
    h = torch.randn(6, D, requires_grad=True)
    loss = head.loss((h, ), samples([0, 1, 2, 3, 0, 1]))['loss']
    loss.backward()
    assert head.fc.weight.grad.abs().sum() > 0
    assert head.bnneck.weight.grad.abs().sum() > 0
    assert head.bnneck.bias.grad is None
    assert h.grad.abs().sum() > 0
    opt = torch.optim.SGD([p for p in head.parameters() if p.requires_grad],
                          lr=1.0)
    opt.step()
    assert torch.equal(head.bnneck.bias, torch.zeros(D))


def test_bnneck_normalises_the_feature_before_the_classifier():
    torch.manual_seed(0)
    head = build(bnneck=True, s=4.0)
    h = torch.randn(8, D) * 5 + 3
    bn = (h - h.mean(0)) / torch.sqrt(h.var(0, unbiased=False) + 1e-5)
    torch.testing.assert_close(head.pre_logits((h, )), bn)
    cos = F.normalize(bn) @ F.normalize(head.fc.weight).T
    torch.testing.assert_close(head((h, )), 4.0 * cos)
    head.eval()  # running statistics at inference
    head.predict((h, ))


def test_mixup_soft_labels_raise_one_hot_scores_work():
    head = build(s=8.0, m=0.3)
    h = torch.randn(2, D)
    one_hot = torch.eye(C)[[1, 3]]
    hard = head.loss((h, ), samples([1, 3]))['loss']
    torch.testing.assert_close(
        head.loss((h, ), samples([1, 3], scores=one_hot))['loss'], hard)
    mixed = torch.tensor([[0.7, 0.3, 0, 0], [0, 0, 0.4, 0.6]])
    with pytest.raises(ValueError, match='Mixup/CutMix'):
        head.loss((h, ), samples([0, 3], scores=mixed))
    with pytest.raises(ValueError, match="'circle'"):
        build(margin_type='circle').loss((h, ),
                                         samples([0, 3], scores=mixed))
    # no margin: soft labels are fine
    no_margin = build(s=8.0, m=0.0)
    assert torch.isfinite(
        no_margin.loss((h, ), samples([0, 3], scores=mixed))['loss'])


def test_ldam_needs_head_scale_one_and_then_is_ldam_on_cosines():
    ldam = dict(type='LDAMLoss', max_m=0.5, s=30.0)
    with pytest.raises(ValueError, match=r's=64\.0.*LDAMLoss'):
        build(loss=ldam)
    head = build(loss=ldam, s=1.0, m=0.0)
    normed = MODELS.build(
        dict(type='LTNormedLinearClsHead', num_classes=C, in_channels=D,
             loss=ldam))
    normed.load_state_dict(head.state_dict())
    counts = [50, 20, 5, 1]
    head.set_class_counts(counts)
    normed.set_class_counts(counts)
    h = torch.randn(4, D)
    data = samples([0, 1, 2, 3])
    torch.testing.assert_close(head.loss((h, ), data)['loss'],
                               normed.loss((h, ), data)['loss'])
    # a head margin adds to LDAM's: target margin m + Delta_y
    with_m = build(loss=ldam, s=1.0, m=0.1)
    with_m.load_state_dict(head.state_dict())
    cos = F.normalize(h) @ F.normalize(head.fc.weight).T
    delta = lt_losses.ldam_margins(torch.tensor(counts), 0.5).float()
    label = torch.tensor([0, 1, 2, 3])
    z = 30.0 * (cos - (0.1 + delta[label])[:, None] * F.one_hot(label, C))
    torch.testing.assert_close(with_m.loss((h, ), data)['loss'],
                               F.cross_entropy(z, label))


def _mmlt_losses():
    """Every loss class mmlt registers (not test helpers)."""
    return sorted(
        name for name, cls in MODELS.module_dict.items()
        if inspect.isclass(cls) and issubclass(cls, lt_losses.BaseLTLoss)
        and cls.__module__.startswith('mmlt.'))


@pytest.mark.parametrize('name', _mmlt_losses())
def test_works_with_every_mmlt_loss(name):
    torch.manual_seed(0)
    s = 1.0 if name == 'LDAMLoss' else 16.0
    head = build(loss=dict(type=name), s=s, m=0.2)
    head.set_class_counts([40, 20, 10, 5])
    h = torch.randn(8, D, requires_grad=True)
    losses = head.loss((h, ), samples([0, 1, 2, 3] * 2, groups=[0, 1] * 4))
    assert losses['loss'].dim() == 0 and torch.isfinite(losses['loss'])
    losses['loss'].backward()
    assert torch.isfinite(h.grad).all() and h.grad.abs().sum() > 0


def test_group_weight_and_logit_adjustment_keep_working():
    head = build(s=8.0, m=0.3, group_weight={1: 2.0},
                 logit_adjust_tau=1.0)
    h = torch.randn(3, D)
    label = torch.tensor([0, 2, 1])
    cos = F.normalize(h) @ F.normalize(head.fc.weight).T
    z = 8.0 * (cos - 0.3 * F.one_hot(label, C))
    per_sample = F.cross_entropy(z, label, reduction='none')
    expected = (per_sample * torch.tensor([2.0, 1.0, 1.0])).mean()
    loss = head.loss((h, ), samples(label.tolist(), groups=[1, 0, 3]))
    torch.testing.assert_close(loss['loss'], expected)
    head.set_class_counts([8, 4, 2, 1])
    prior = torch.tensor([8, 4, 2, 1.]) / 15
    pred = head.predict((h, ))
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in pred]),
        torch.softmax(8.0 * cos - torch.log(prior), dim=1))


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(margin_type='arcface'), ValueError, "'arcface'"),
    (dict(s=0), ValueError, 's=0'),
    (dict(s=-2.0), ValueError, 's=-2.0'),
    (dict(s=float('inf')), ValueError, 's=inf'),
    (dict(m=-0.1), ValueError, 'm=-0.1'),
    (dict(margin_type='circle', m=1.0), ValueError, r'm=1\.0.*< 1'),
    (dict(bnneck='yes'), TypeError, "'yes'"),
])
def test_bad_arguments_raise_naming_the_value(kwargs, error, match):
    with pytest.raises(error, match=match):
        build(**kwargs)


def test_registered_and_subclass_of_lt_head():
    from mmlt.models.heads import LTLinearClsHead
    assert MODELS.get('CosineClsHead') is CosineClsHead
    assert issubclass(CosineClsHead, LTLinearClsHead)


def test_tau_norm_is_refused_on_the_normalised_classifier():
    from mmlt.models.heads import LTLinearClsHead

    # a failure, not a skip, if the head loses tau_norm: the refusal below
    # would then test nothing
    assert 'tau_norm' in inspect.signature(
        LTLinearClsHead.__init__).parameters
    with pytest.raises(ValueError, match='tau_norm=1.0'):
        build(tau_norm=1.0)
