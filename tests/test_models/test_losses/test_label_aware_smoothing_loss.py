"""Label-aware smoothing (MiSLAS) beyond the shared cases of
test_classification_losses.py: the per-class factors of each form of f,
the loss against its formula with explicit per-class factors, the official
code's form, mixed labels, and gradcheck of the pure function."""
import math

import pytest
import torch
import torch.nn.functional as F

import mmlt  # noqa: F401
from mmlt.models.losses import (label_aware_smoothing,
                                label_aware_smoothing_loss,
                                label_aware_targets)
from mmlt.registry import MODELS

# CIFAR-10-LT, IR 100 (n_max 5000): the paper's setting
CIFAR10_LT = torch.tensor([5000, 2997, 1796, 1077, 645, 387, 232, 139, 83,
                           50])
K = 10


def _t(n, counts):
    n1, nk = max(counts), min(counts)
    return (n - nk) / (n1 - nk)


# each form written out as the paper states it, class by class
FORMS = {
    'concave': lambda t, e1, ek: ek + (e1 - ek) * math.sin(math.pi * t / 2),
    'linear': lambda t, e1, ek: ek + (e1 - ek) * t,
    'convex': lambda t, e1, ek: e1 + (e1 - ek) * math.sin(
        3 * math.pi / 2 + math.pi * t / 2),
}


@pytest.mark.parametrize('shape', sorted(FORMS))
@pytest.mark.parametrize('head, tail', [(0.3, 0.0), (0.4, 0.1)])
def test_factors_per_class_follow_each_form(shape, head, tail):
    counts = CIFAR10_LT.tolist()
    got = label_aware_smoothing(CIFAR10_LT, head, tail, shape)
    assert got.dtype == torch.float64
    expected = torch.tensor(
        [FORMS[shape](_t(n, counts), head, tail) for n in counts],
        dtype=torch.float64)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-15)
    # eps_1 at the most frequent class, eps_K at the rarest
    assert got[0].item() == pytest.approx(head, abs=1e-15)
    assert got[-1].item() == pytest.approx(tail, abs=1e-15)
    # more images, more smoothing (counts fall with the class index)
    assert (got[:-1] >= got[1:]).all()


def test_concave_above_linear_above_convex():
    c, l, v = (label_aware_smoothing(CIFAR10_LT, 0.3, 0.0, s)
               for s in ('concave', 'linear', 'convex'))
    inner = slice(1, -1)
    assert (c[inner] > l[inner]).all() and (l[inner] > v[inner]).all()


def test_factors_of_unordered_counts_follow_each_class_count():
    perm = torch.randperm(K, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        label_aware_smoothing(CIFAR10_LT[perm], 0.3, 0.0),
        label_aware_smoothing(CIFAR10_LT, 0.3, 0.0)[perm])


def test_equal_counts_give_every_class_the_head_factor():
    got = label_aware_smoothing(torch.full((4, ), 7), 0.3, 0.1, 'convex')
    assert torch.equal(got, torch.full((4, ), 0.3, dtype=torch.float64))


def _inputs(n=6, k=K, seed=0, soft=False):
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, k, generator=gen, dtype=torch.float64) * 3
    y = torch.randint(0, k, (n, ), generator=gen)
    if not soft:
        return z, y
    lam = torch.rand(n, 1, generator=gen, dtype=torch.float64)
    perm = torch.randperm(n, generator=gen)
    return z, (y, y[perm], lam)


def _mixed(y_a, y_b, lam, k=K):
    return lam * F.one_hot(y_a, k) + (1 - lam) * F.one_hot(y_b, k)


# explicit per-class factors, none of them from counts
EPS = torch.tensor([0.3, 0.25, 0.2, 0.15, 0.1, 0.08, 0.05, 0.02, 0.01, 0.0],
                   dtype=torch.float64)


def _paper_formula(z, y, eps):
    """-(1 - eps_y) log p_y - sum_{i != y} eps_y / (K - 1) log p_i, one
    sample and one term at a time."""
    out = []
    for i, yi in enumerate(y.tolist()):
        e = torch.exp(z[i] - z[i].max())
        logp = torch.log(e / e.sum())
        loss = -(1 - eps[yi]) * logp[yi]
        for j in range(z.shape[1]):
            if j != yi:
                loss = loss - eps[yi] / (z.shape[1] - 1) * logp[j]
        out.append(loss)
    return torch.stack(out)


def _official_code(z, y, eps):
    """The official LabelAwareSmoothing.forward, per sample:
    (1 - eps_y) * nll + eps_y * mean_i(-log p_i)."""
    logprobs = F.log_softmax(z, dim=-1)
    nll = -logprobs.gather(dim=-1, index=y.unsqueeze(1)).squeeze(1)
    return (1 - eps[y]) * nll + eps[y] * (-logprobs.mean(dim=-1))


def test_loss_with_explicit_factors_is_the_paper_formula():
    z, y = _inputs(n=12)
    got = label_aware_smoothing_loss(z, y, EPS)
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, _paper_formula(z, y, EPS), rtol=1e-12,
                               atol=1e-13)


def test_spread_all_is_the_official_code():
    z, y = _inputs(n=12)
    torch.testing.assert_close(
        label_aware_smoothing_loss(z, y, EPS, spread='all'),
        _official_code(z, y, EPS), rtol=1e-12, atol=1e-13)
    # and it is the paper's form with eps (K - 1) / K
    torch.testing.assert_close(
        label_aware_smoothing_loss(z, y, EPS, spread='all'),
        label_aware_smoothing_loss(z, y, EPS * (K - 1) / K), rtol=1e-12,
        atol=1e-13)


@pytest.mark.parametrize('spread', ['others', 'all'])
def test_targets_are_distributions_with_one_minus_eps_on_the_class(spread):
    q = label_aware_targets(EPS, spread)
    torch.testing.assert_close(q.sum(dim=1), torch.ones(K, dtype=q.dtype))
    assert (q >= 0).all()
    true_mass = 1 - EPS if spread == 'others' else 1 - EPS + EPS / K
    torch.testing.assert_close(q.diagonal(), true_mass)


@pytest.mark.parametrize('spread', ['others', 'all'])
def test_mixed_labels_are_the_official_mixup_criterion(spread):
    # lam * L(z, y_a) + (1 - lam) * L(z, y_b), as the official code mixes
    z, (y_a, y_b, lam) = _inputs(n=8, soft=True)
    got = label_aware_smoothing_loss(z, _mixed(y_a, y_b, lam), EPS, spread)
    expected = lam.view(-1) * label_aware_smoothing_loss(
        z, y_a, EPS, spread) + (1 - lam.view(-1)) * \
        label_aware_smoothing_loss(z, y_b, EPS, spread)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize('spread', ['others', 'all'])
@pytest.mark.parametrize('soft', [False, True])
def test_gradcheck_float64(spread, soft):
    z, y = _inputs(n=4, soft=soft)
    if soft:
        y = _mixed(*y)
    z = (z / 3).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda z: label_aware_smoothing_loss(z, y, EPS, spread), (z, ))


def test_gradient_is_softmax_minus_target():
    # d L / d z = p - q: the smoothed target is what the logits chase
    z, y = _inputs(n=5)
    z.requires_grad_()
    label_aware_smoothing_loss(z, y, EPS).sum().backward()
    expected = torch.softmax(z.detach(), dim=1) - label_aware_targets(EPS)[y]
    torch.testing.assert_close(z.grad, expected, rtol=1e-12, atol=1e-13)


def test_module_derives_the_factors_from_the_counts():
    loss = MODELS.build(dict(type='LabelAwareSmoothingLoss', shape='linear',
                             class_counts=CIFAR10_LT.tolist()))
    torch.testing.assert_close(
        loss.smoothing, label_aware_smoothing(CIFAR10_LT, 0.3, 0.0,
                                              'linear'))
    assert 'smoothing' not in loss.state_dict()  # the head keeps the counts
    z, y = _inputs()
    torch.testing.assert_close(
        loss(z, y, reduction_override='none'),
        _paper_formula(z, y, loss.smoothing))


def test_factors_of_another_length_than_the_scores_are_refused():
    z, y = _inputs()
    with pytest.raises(ValueError, match='smoothing has 9 factors'):
        label_aware_smoothing_loss(z, y, EPS[:9])


def test_spread_others_needs_two_classes():
    with pytest.raises(ValueError, match='at least 2 classes'):
        label_aware_targets(torch.tensor([0.1]))
    with pytest.raises(ValueError, match="shape='cubic'"):
        label_aware_smoothing(CIFAR10_LT, 0.3, 0.0, 'cubic')
