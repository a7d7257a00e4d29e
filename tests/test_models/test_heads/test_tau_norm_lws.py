"""τ-normalised prediction and learnable weight scaling of LTLinearClsHead
(Kang et al., ICLR 2020)."""
import pytest
import torch
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.heads import tau_normalize
from mmlt.registry import MODELS


def build(**kwargs):
    kwargs.setdefault('loss', dict(type='CrossEntropyLoss'))
    return MODELS.build(
        dict(type='LTLinearClsHead', num_classes=4, in_channels=5, **kwargs))


def samples(labels):
    return [DataSample().set_gt_label(label) for label in labels]


def scores(head, feats):
    return torch.stack([s.pred_score for s in head.predict((feats, ))])


@pytest.fixture
def head64():
    torch.manual_seed(0)
    head = build().double()
    with torch.no_grad():
        # class norms of different sizes, a visible bias
        head.fc.weight.mul_(torch.tensor([[4.], [2.], [1.], [.5]],
                                         dtype=torch.float64))
        head.fc.bias.copy_(torch.tensor([1., -1., .5, 2.]))
    return head


@pytest.mark.parametrize('tau', [0., 0.3, 0.5, 1., 2.])
def test_tau_norm_formula_in_float64(head64, tau):
    feats = torch.randn(7, 5, dtype=torch.float64)
    W = head64.fc.weight.detach()
    expected_w = torch.stack(
        [W[c] / torch.linalg.vector_norm(W[c])**tau for c in range(4)])
    torch.testing.assert_close(tau_normalize(W, tau), expected_w,
                               rtol=1e-14, atol=0)
    head64.set_tau_norm(tau)
    expected = torch.softmax(feats @ expected_w.t(), dim=1)  # no bias
    torch.testing.assert_close(scores(head64, feats), expected, rtol=1e-12,
                               atol=1e-15)


def test_tau_zero_is_the_linear_classifier_without_bias(head64):
    feats = torch.randn(9, 5, dtype=torch.float64)
    head64.set_tau_norm(0.)
    plain = torch.softmax(feats @ head64.fc.weight.detach().t(), dim=1)
    torch.testing.assert_close(scores(head64, feats), plain, rtol=1e-12,
                               atol=1e-15)
    head64.set_tau_norm(None)  # off: W h + b, as MMPretrain's head
    with_bias = torch.softmax(head64.fc(feats), dim=1)
    torch.testing.assert_close(scores(head64, feats), with_bias.detach())


def test_tau_one_gives_unit_rows_and_zero_rows_stay_zero():
    w = torch.tensor([[3., 4.], [0., 0.], [0., 2.]])
    out = tau_normalize(w, 1.)
    assert out[[0, 2]].norm(dim=1).tolist() == [1., 1.]
    assert out[1].tolist() == [0., 0.]
    assert torch.isfinite(tau_normalize(w, 2.)).all()


def test_tau_norm_changes_predict_only(head64):
    feats = torch.randn(6, 5, dtype=torch.float64)
    labels = samples([0, 1, 2, 3, 0, 1])
    before = head64.loss((feats, ), labels)['loss']
    head64.set_tau_norm(0.7)
    assert torch.equal(head64.loss((feats, ), labels)['loss'], before)
    assert torch.equal(head64((feats, )), head64.fc(feats))


@pytest.mark.parametrize('tau', [-0.5, float('nan'), float('inf'), True, '1'])
def test_bad_tau_is_named(tau):
    with pytest.raises(ValueError, match=f'tau_norm={tau!r}'.replace(
            '(', r'\(').replace(')', r'\)')):
        build(tau_norm=tau)


def test_tau_norm_needs_a_plain_linear_classifier():
    with pytest.raises(ValueError, match=r'tau_norm=0\.5.*NormProduct'):
        MODELS.build(
            dict(type='LTNormedLinearClsHead', num_classes=3, in_channels=4,
                 tau_norm=0.5))
    with pytest.raises(ValueError, match=r'tau_norm=0\.5 with lws=True'):
        build(tau_norm=0.5, lws=True)


def test_lws_scales_the_logits_in_loss_and_predict():
    torch.manual_seed(0)
    head = build(lws=True)
    assert torch.equal(head.lws_scale, torch.ones(4))
    assert 'lws_scale' in dict(head.named_parameters())
    assert 'lws_scale' not in dict(build().named_parameters())
    feats = torch.randn(6, 5)
    labels = samples([0, 1, 2, 3, 0, 1])
    # scale 1: the plain head
    plain = head.fc(feats)
    torch.testing.assert_close(head((feats, )), plain)
    with torch.no_grad():
        head.lws_scale.copy_(torch.tensor([2., .5, 1., 3.]))
    expected = plain * torch.tensor([2., .5, 1., 3.])
    torch.testing.assert_close(head((feats, )), expected)
    torch.testing.assert_close(scores(head, feats),
                               torch.softmax(expected, 1).detach())
    loss = head.loss((feats, ), labels)['loss']
    torch.testing.assert_close(
        loss, torch.nn.functional.cross_entropy(expected, torch.tensor(
            [0, 1, 2, 3, 0, 1])))
    loss.backward()
    assert head.lws_scale.grad is not None and head.lws_scale.grad.abs().sum()


def test_lws_must_be_a_bool():
    with pytest.raises(TypeError, match="lws='yes'"):
        build(lws='yes')
