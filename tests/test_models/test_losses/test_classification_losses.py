"""Every classification loss against its paper's equation and invariants.

References are direct float64 evaluations of each paper's formula, written
independently of the implementation (explicit exp/log/sum, no
log-softmax helper, no shared code with mmlt). ``CASES`` is the one list of
losses here: every registered mmlt classification loss must have a case
(``test_loss_registry.py`` fails otherwise), and the lists of particular
losses below are derived from it.
"""
import math
from typing import Callable, NamedTuple

import pytest
import torch
import torch.nn.functional as F

import mmlt  # noqa: F401
from mmlt.models.losses import ClassWeightMixin
from mmlt.registry import MODELS

COUNTS = torch.tensor([40, 20, 9, 4, 2])
C = len(COUNTS)


def _softmax(z):
    e = torch.exp(z - z.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=1, keepdim=True)


def _onehot(y, c=C):
    return F.one_hot(y, c).double() if y.dim() == 1 else y.double()


def _normalised(w):
    return w / w.sum() * len(w)


# ----------------------------------------------------- paper references
def ref_focal(z, y, counts, h, gamma=2.0, alpha=None):
    """Lin et al. 2017, Eq. 5 (softmax; soft labels term by term)."""
    p = _softmax(z)
    a = torch.ones(C, dtype=z.dtype) if alpha is None else alpha
    t = _onehot(y)
    return -(t * a * (1 - p)**gamma * torch.log(p)).sum(dim=1)


def ref_joint(z, y, counts, h):
    return ref_focal(z, y, counts, h) + ref_focal(z, y, counts, h, gamma=0)


def ref_cb(loss_type, beta=0.9999, gamma=2.0):
    """Cui et al. 2019: (1 - beta) / (1 - beta^n_y) * L."""

    def ref(z, y, counts, h):
        n = counts.double()
        w = _normalised((1 - beta) / (1 - beta**n))
        t = _onehot(y)
        if loss_type == 'softmax':
            return -(t * w * torch.log(_softmax(z))).sum(dim=1)
        if loss_type == 'focal':
            return ref_focal(z, y, counts, h, gamma, alpha=w)
        s = 1 / (1 + torch.exp(-z))
        bce = -(t * torch.log(s) + (1 - t) * torch.log(1 - s))
        if loss_type == 'sigmoid_focal':  # (1 - p_t)^gamma; soft as MMPretrain
            bce = bce * ((1 - s) * t + s * (1 - t))**gamma
        return bce.sum(dim=1) * (t * w).sum(dim=1)

    return ref


def ref_cost_sensitive(z, y, counts, h, power=1.0):
    w = _normalised(counts.double()**-power)
    return -(_onehot(y) * w * torch.log(_softmax(z))).sum(dim=1)


def ref_ldam(z, y, counts, h, max_m=0.5, s=30.0):
    """Cao et al. 2019: -log e^{s(z_y - D_y)} / (e^{s(z_y - D_y)} +
    sum_{j != y} e^{s z_j}), D_j = C / n_j^{1/4}."""
    d = counts.double()**-0.25
    d = d * max_m / d.max()
    out = []
    for i, yi in enumerate(y.tolist()):
        num = torch.exp(s * (z[i, yi] - d[yi]))
        others = sum(torch.exp(s * z[i, j]) for j in range(C) if j != yi)
        out.append(-torch.log(num / (num + others)))
    return torch.stack(out)


def ref_balanced_softmax(z, y, counts, h):
    """Ren et al. 2020: -log n_y e^{z_y} / sum_j n_j e^{z_j}."""
    n = counts.double()
    q = n * torch.exp(z)
    return -(_onehot(y) * torch.log(q / q.sum(dim=1, keepdim=True))).sum(1)


def ref_logit_adjusted(z, y, counts, h, tau=1.0):
    """Menon et al. 2021: -log e^{z_y + tau log pi_y} / sum_j ..."""
    pi = counts.double() / counts.sum()
    q = torch.exp(z + tau * torch.log(pi))
    return -(_onehot(y) * torch.log(q / q.sum(dim=1, keepdim=True))).sum(1)


def ref_cdt(z, y, counts, h, gamma=0.2):
    """Ye et al. 2020: logits z_c / a_c, a_c = (n_max / n_c)^gamma."""
    n = counts.double()
    a = (n.max() / n)**gamma
    return -(_onehot(y) * torch.log(_softmax(z / a))).sum(dim=1)


def ref_ib(z, y, counts, h, alpha=1000.0, eps=1e-3, gamma=0.0):
    """Park et al. 2021: alpha lambda_y L / (|p - y|_1 |h|_1 + eps)."""
    lam = _normalised(1 / counts.double())
    p = _softmax(z)
    t = _onehot(y)
    loss = -(t * lam * (1 - p)**gamma * torch.log(p)).sum(dim=1)
    influence = (p - t).abs().sum(dim=1) * h.abs().sum(dim=1)
    return alpha * loss / (influence + eps)


def ref_seql_all_dropped(z, y, counts, h):
    """Tan et al. 2020 with gamma=1 (beta always 1) and every class a tail
    class: w_k = 1 - (1 - y_k) = y_k, so -sum_j y_j log(e^{z_j} /
    sum_k y_k e^{z_k}); 0 for hard labels."""
    t = _onehot(y)
    denominator = (t * torch.exp(z)).sum(dim=1, keepdim=True)
    return -(t * torch.log(torch.exp(z) / denominator)).sum(dim=1)


def ref_las(shape='concave', spread='others', head=0.3, tail=0.0):
    """Zhong et al. 2021 (MiSLAS): eps_y = f(N_y) from eps_K (rarest class)
    to eps_1 (most frequent); q = 1 - eps_y on y and eps_y / (K - 1) on
    every other class (the paper) or (1 - eps_y) [i = y] + eps_y / K (the
    official code); L = -sum_i q_i log p_i, a mixed label the same mixture
    of its classes' losses (the official mixup_criterion)."""

    def eps_of(n, n1, nk):
        t = (n - nk) / (n1 - nk)
        if shape == 'concave':
            return tail + (head - tail) * math.sin(math.pi * t / 2)
        if shape == 'linear':
            return tail + (head - tail) * t
        return head + (head - tail) * math.sin(1.5 * math.pi +
                                               math.pi * t / 2)

    def ref(z, y, counts, h):
        n = [float(c) for c in counts]
        eps = [eps_of(c, max(n), min(n)) for c in n]
        logp = torch.log(_softmax(z))
        t = _onehot(y)
        out = []
        for i in range(z.shape[0]):
            total = 0
            for c in range(C):
                if spread == 'others':
                    loss_c = -(1 - eps[c]) * logp[i, c] - sum(
                        eps[c] / (C - 1) * logp[i, j]
                        for j in range(C) if j != c)
                else:
                    loss_c = -(1 - eps[c]) * logp[i, c] - sum(
                        eps[c] / C * logp[i, j] for j in range(C))
                total = total + t[i, c] * loss_c
            out.append(total)
        return torch.stack(out)

    return ref


class Case(NamedTuple):
    cfg: dict
    ref: Callable
    soft: bool = True  # accepts Mixup/CutMix scores
    counts: bool = True  # uses class counts


CASES = {
    'focal': Case(dict(type='SoftmaxFocalLoss'), ref_focal, counts=False),
    'focal-alpha': Case(
        dict(type='SoftmaxFocalLoss', alpha='inverse_frequency'),
        lambda z, y, n, h: ref_focal(
            z, y, n, h, alpha=_normalised(1 / n.double()))),
    'joint-focal-ce': Case(
        dict(type='JointFocalCELoss'), ref_joint, counts=False),
    'cb-softmax': Case(dict(type='ClassBalancedLoss'), ref_cb('softmax')),
    'cb-focal': Case(
        dict(type='ClassBalancedLoss', loss_type='focal'), ref_cb('focal')),
    'cb-sigmoid': Case(
        dict(type='ClassBalancedLoss', loss_type='sigmoid'),
        ref_cb('sigmoid')),
    'cb-sigmoid-focal': Case(
        dict(type='ClassBalancedLoss', loss_type='sigmoid_focal'),
        ref_cb('sigmoid_focal')),
    'cost-sensitive': Case(
        dict(type='CostSensitiveCELoss', power=0.5),
        lambda z, y, n, h: ref_cost_sensitive(z, y, n, h, 0.5)),
    'ldam': Case(dict(type='LDAMLoss'), ref_ldam, soft=False),
    'balanced-softmax': Case(
        dict(type='BalancedSoftmaxLoss'), ref_balanced_softmax),
    'logit-adjusted': Case(
        dict(type='LogitAdjustedLoss', tau=1.5),
        lambda z, y, n, h: ref_logit_adjusted(z, y, n, h, 1.5)),
    'seql': Case(
        dict(type='SoftmaxEQLLoss', gamma=1.0, freq_threshold=1.0),
        ref_seql_all_dropped),
    'ib': Case(dict(type='InfluenceBalancedLoss'), ref_ib),
    'ib-focal': Case(
        dict(type='InfluenceBalancedFocalLoss'),
        lambda z, y, n, h: ref_ib(z, y, n, h, gamma=1.0)),
    'cdt': Case(dict(type='CDTLoss'), ref_cdt),
    'las': Case(dict(type='LabelAwareSmoothingLoss'), ref_las()),
    'las-convex-official-spread': Case(
        dict(type='LabelAwareSmoothingLoss', smooth_head=0.4,
             smooth_tail=0.1, shape='convex', spread='all'),
        ref_las('convex', 'all', 0.4, 0.1)),
    'las-linear': Case(
        dict(type='LabelAwareSmoothingLoss', shape='linear'),
        ref_las('linear')),
}


def call(loss, z, y, counts=COUNTS, h=None, **kwargs):
    """As mmlt's head uses a loss: counts handed over once, ``feats`` passed
    when the loss declares it in ``extra_inputs``."""
    loss.set_class_counts(counts)
    if 'feats' in loss.extra_inputs:
        kwargs['feats'] = h
    return loss(z, y, **kwargs)


def inputs(n=6, dtype=torch.float64, seed=0, scale=3.0, soft=False):
    gen = torch.Generator().manual_seed(seed)
    z = (torch.randn(n, C, generator=gen) * scale).to(dtype)
    y = torch.randint(0, C, (n, ), generator=gen)
    if soft:
        lam = torch.rand(n, 1, generator=gen)
        perm = torch.randperm(n, generator=gen)
        y = lam * F.one_hot(y, C) + (1 - lam) * F.one_hot(y[perm], C)
        y = y.to(dtype)
    h = torch.randn(n, 7, generator=gen).to(dtype)
    return z, y, h


@pytest.mark.parametrize('name', list(CASES))
def test_registered_in_mmpretrain_under_an_own_name(name):
    cls = MODELS.get(CASES[name].cfg['type'])
    assert cls.__module__.startswith('mmlt.models.losses.')


@pytest.mark.parametrize('name', list(CASES))
def test_matches_the_paper_equation_in_float64(name):
    case = CASES[name]
    loss = MODELS.build(case.cfg)
    for soft in (False, True) if case.soft else (False, ):
        z, y, h = inputs(soft=soft)
        got = call(loss, z, y, h=h, reduction_override='none')
        assert got.dtype == torch.float64
        torch.testing.assert_close(
            got, case.ref(z, y, COUNTS, h), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize('name', list(CASES))
def test_gradcheck_float64(name):
    case = CASES[name]
    loss = MODELS.build(case.cfg)
    for soft in (False, True) if case.soft else (False, ):
        z, y, h = inputs(n=4, soft=soft, scale=1.0)
        z.requires_grad_()
        h.requires_grad_()

        def f(z, h):
            return call(loss, z, y, h=h, avg_factor=4)

        assert torch.autograd.gradcheck(f, (z, h))


@pytest.mark.parametrize('name', list(CASES))
def test_finite_under_bf16_autocast_with_huge_logits(name):
    loss = MODELS.build(CASES[name].cfg)
    z, y, h = inputs(n=8, dtype=torch.float32, seed=1)
    z = (torch.sign(z) * 1e4).bfloat16().requires_grad_()
    h = h.bfloat16().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = call(loss, z, y, h=h, avg_factor=8)
    value.backward()
    assert torch.isfinite(value)
    assert torch.isfinite(z.grad.float()).all()


@pytest.mark.parametrize(
    'name', [n for n, c in CASES.items() if c.counts])
def test_zero_count_class_is_a_clear_error(name):
    loss = MODELS.build(CASES[name].cfg)
    z, y, h = inputs()
    with pytest.raises(ValueError, match=r'class\(es\) \[3\] have none'):
        call(loss, z, y, counts=torch.tensor([5, 4, 3, 0, 1]), h=h)
    with pytest.raises(ValueError, match='counts for 4 classes'):
        call(loss, z, y, counts=torch.tensor([5, 4, 3, 1]), h=h)


@pytest.mark.parametrize('name', list(CASES))
def test_per_sample_weight_scales_each_loss(name):
    loss = MODELS.build(CASES[name].cfg)
    z, y, h = inputs()
    w = torch.tensor([2.0, 1.0, 0.0, 1.0, 1.0, 3.0], dtype=z.dtype)
    per_sample = call(loss, z, y, h=h, reduction_override='none')
    weighted = call(loss, z, y, h=h, weight=w, avg_factor=6)
    torch.testing.assert_close(weighted, (w * per_sample).sum() / 6)


@pytest.mark.parametrize('name', list(CASES))
def test_one_hot_scores_equal_class_indices(name):
    # what the data preprocessor gives when to_onehot / batch augments are
    # on but a batch was not mixed (e.g. after BatchAugmentOffHook)
    loss = MODELS.build(CASES[name].cfg)
    z, y, h = inputs()
    torch.testing.assert_close(
        call(loss, z, F.one_hot(y, C).double(), h=h),
        call(loss, z, y, h=h))


@pytest.mark.parametrize(
    'name', [n for n, c in CASES.items() if not c.soft])
def test_hard_label_losses_refuse_mixed_labels(name):
    loss = MODELS.build(CASES[name].cfg)
    z, y, h = inputs(soft=True)
    with pytest.raises(ValueError, match='needs hard labels'):
        call(loss, z, y, h=h)


DEGENERATE = {
    'focal gamma=0': dict(type='SoftmaxFocalLoss', gamma=0.0),
    'joint without focal':
    dict(type='JointFocalCELoss', focal_weight=0.0),
    'class-balanced beta=0': dict(type='ClassBalancedLoss', beta=0.0),
    'cb focal beta=0 gamma=0':
    dict(type='ClassBalancedLoss', beta=0.0, loss_type='focal', gamma=0.0),
    'cost-sensitive power=0': dict(type='CostSensitiveCELoss', power=0.0),
    'ldam max_m=0 s=1': dict(type='LDAMLoss', max_m=0.0, s=1.0),
    'balanced softmax, equal counts': dict(type='BalancedSoftmaxLoss'),
    'logit adjusted, equal counts': dict(type='LogitAdjustedLoss'),
    'cdt gamma=0': dict(type='CDTLoss', gamma=0.0),
    'seql gamma=0': dict(type='SoftmaxEQLLoss', gamma=0.0),
    'seql no tail class': dict(type='SoftmaxEQLLoss', freq_threshold=0.0),
    'ib warm-up (use_ib=False)':
    dict(type='InfluenceBalancedLoss', use_ib=False),
    'las without smoothing':
    dict(type='LabelAwareSmoothingLoss', smooth_head=0.0, smooth_tail=0.0),
}


@pytest.mark.parametrize('name', list(DEGENERATE))
def test_degenerate_setting_is_cross_entropy(name):
    loss = MODELS.build(DEGENERATE[name])
    ce = MODELS.build(dict(type='CrossEntropyLoss'))
    counts = torch.full((C, ), 7) if 'equal counts' in name else COUNTS
    z, y, h = inputs()
    torch.testing.assert_close(
        call(loss, z, y, counts=counts, h=h, avg_factor=6),
        ce(z, y, avg_factor=6))


@pytest.mark.parametrize('loss_type', ['sigmoid', 'sigmoid_focal'])
def test_class_balanced_sigmoid_beta0_is_mmpretrain_sigmoid_loss(loss_type):
    z, y, h = inputs(dtype=torch.float32)  # MMPretrain casts labels to fp32
    loss = MODELS.build(
        dict(type='ClassBalancedLoss', beta=0.0, loss_type=loss_type))
    if loss_type == 'sigmoid':
        ref = MODELS.build(dict(type='CrossEntropyLoss', use_sigmoid=True))
        expected = ref(z, F.one_hot(y, C), avg_factor=6)
    else:  # MMPretrain's alpha-balanced form with alpha=0.5 is half of it
        ref = MODELS.build(dict(type='FocalLoss', gamma=2.0, alpha=0.5))
        expected = 2 * ref(z, y, avg_factor=6)
    torch.testing.assert_close(
        call(loss, z, y, avg_factor=6), expected)


def _reweightable():
    """One default config per loss type of ``CASES`` on ClassWeightMixin
    (whose class weights deferred re-weighting switches)."""
    types = {c.cfg['type'] for c in CASES.values()
             if issubclass(MODELS.get(c.cfg['type']), ClassWeightMixin)}
    return [dict(type=t) for t in sorted(types)]


REWEIGHTABLE = _reweightable()


def test_reweightable_cases_are_mmlts_class_weighted_losses():
    # what DeferredReweightingHook names as the losses it re-weights
    from mmlt.models.losses import class_weighted_losses
    ours = {n for n in class_weighted_losses()
            if MODELS.get(n).__module__.startswith('mmlt.')}
    assert {c['type'] for c in REWEIGHTABLE} == ours
    assert 'LDAMLoss' in ours


@pytest.mark.parametrize('cfg', REWEIGHTABLE, ids=lambda c: c['type'])
def test_drw_weights_reach_losses_with_set_class_weight(cfg):
    z, y, h = inputs()
    w = torch.tensor([0.2, 0.5, 1.0, 1.3, 2.0])
    loss = MODELS.build(cfg)
    plain = call(loss, z, y, reduction_override='none')
    loss.set_class_weight(w)
    torch.testing.assert_close(
        call(loss, z, y, reduction_override='none'),
        plain * w.double()[y])
    loss.set_class_weight(None)
    torch.testing.assert_close(
        call(loss, z, y, reduction_override='none'), plain)


def test_counts_from_the_constructor_for_standalone_use():
    z, y, h = inputs()
    loss = MODELS.build(dict(type='LDAMLoss', class_counts=COUNTS.tolist()))
    torch.testing.assert_close(
        loss(z, y, reduction_override='none'), ref_ldam(z, y, COUNTS, h))
    with pytest.raises(RuntimeError, match='needs the training class counts'):
        MODELS.build(dict(type='LDAMLoss'))(z, y)


def test_influence_balanced_loss_needs_feats():
    z, y, h = inputs()
    loss = MODELS.build(dict(type='InfluenceBalancedLoss'))
    loss.set_class_counts(COUNTS)
    with pytest.raises(RuntimeError, match='passes feats'):
        loss(z, y)


@pytest.mark.parametrize('cfg, message', [
    (dict(type='SoftmaxFocalLoss', gamma=-1.0), 'gamma=-1.0'),
    (dict(type='SoftmaxFocalLoss', alpha='balanced'), "alpha='balanced'"),
    (dict(type='SoftmaxFocalLoss', reduction='avg'), "reduction='avg'"),
    (dict(type='ClassBalancedLoss', beta=1.0), 'beta=1.0'),
    (dict(type='ClassBalancedLoss', loss_type='bce'), "loss_type='bce'"),
    (dict(type='LDAMLoss', s=0.0), 's=0.0'),
    (dict(type='LDAMLoss', max_m=-0.1), 'max_m=-0.1'),
    (dict(type='LDAMLoss', class_weight=[1.0, float('nan')]),
     'class_weight'),
    (dict(type='LogitAdjustedLoss', tau=-1.0), 'tau=-1.0'),
    (dict(type='SoftmaxEQLLoss', gamma=1.5), 'gamma=1.5'),
    (dict(type='InfluenceBalancedLoss', alpha=0.0), 'alpha=0.0'),
    (dict(type='CDTLoss', gamma=-0.2), 'gamma=-0.2'),
    (dict(type='JointFocalCELoss', ce_weight=-1.0), 'ce_weight=-1.0'),
    (dict(type='LabelAwareSmoothingLoss', smooth_head=1.5),
     'smooth_head=1.5'),
    (dict(type='LabelAwareSmoothingLoss', smooth_tail=-0.1),
     'smooth_tail=-0.1'),
    (dict(type='LabelAwareSmoothingLoss', shape='exp'), "shape='exp'"),
    (dict(type='LabelAwareSmoothingLoss', spread='code'), "spread='code'"),
])
def test_bad_arguments_are_named(cfg, message):
    with pytest.raises(ValueError, match=message.replace('(', r'\(')):
        MODELS.build(cfg)


def test_bad_reduction_override_is_named():
    z, y, h = inputs()
    with pytest.raises(ValueError, match="reduction_override='avg'"):
        MODELS.build(dict(type='SoftmaxFocalLoss'))(
            z, y, reduction_override='avg')


# a weight vector float32 cannot hold exactly
W64 = torch.tensor([0.1, 0.3, 0.7, 1.1, 2.9], dtype=torch.float64)


@pytest.mark.parametrize('cfg', REWEIGHTABLE, ids=lambda c: c['type'])
def test_class_weights_keep_float64(cfg):
    # set_class_weight (DRW) and config lists weight float64 scores exactly
    z, y, h = inputs()
    loss = MODELS.build(cfg)
    plain = call(loss, z, y, reduction_override='none')
    loss.set_class_weight(W64)
    assert loss.class_weight.dtype == torch.float64
    torch.testing.assert_close(call(loss, z, y, reduction_override='none'),
                               plain * W64[y], rtol=1e-13, atol=0)
    key = 'alpha' if cfg['type'] == 'SoftmaxFocalLoss' else 'class_weight'
    listed = MODELS.build(dict(cfg, **{key: W64.tolist()}))
    torch.testing.assert_close(
        call(listed, z, y, reduction_override='none'), plain * W64[y],
        rtol=1e-13, atol=0)


def _ldam_logits(z, y, max_m=0.5, s=30.0):
    d = COUNTS.double()**-0.25
    d = d * max_m / d.max()
    return s * (z - d[y, None] * F.one_hot(y, C))


def test_class_weight_norm_weight_sum_is_torch_cross_entropy_weight():
    # the official LDAM-DRW and Bag-of-Tricks-LT code reduce with
    # F.cross_entropy(weight=w): sum_i w_yi L_i / sum_i w_yi
    z, y, h = inputs(n=16)
    ldam = MODELS.build(dict(type='LDAMLoss', class_weight_norm='weight_sum'))
    ldam.set_class_weight(W64)  # as DeferredReweightingHook does
    torch.testing.assert_close(
        call(ldam, z, y, avg_factor=16),
        F.cross_entropy(_ldam_logits(z, y), y, weight=W64))
    cs = MODELS.build(
        dict(type='CostSensitiveCELoss', class_weight_norm='weight_sum'))
    w = _normalised(1 / COUNTS.double())
    torch.testing.assert_close(call(cs, z, y, avg_factor=16),
                               F.cross_entropy(z, y, weight=w))
    # the default stays MMPretrain's: sum_i w_yi L_i / N
    ldam.class_weight_norm = 'num_samples'
    torch.testing.assert_close(
        call(ldam, z, y, avg_factor=16),
        (W64[y] * F.cross_entropy(_ldam_logits(z, y), y,
                                  reduction='none')).sum() / 16)
    # unweighted (before DRW switches on): the same either way
    ldam.set_class_weight(None)
    ldam.class_weight_norm = 'weight_sum'
    torch.testing.assert_close(call(ldam, z, y, avg_factor=16),
                               F.cross_entropy(_ldam_logits(z, y), y))
    with pytest.raises(ValueError, match="class_weight_norm='sum'"):
        MODELS.build(dict(type='LDAMLoss', class_weight_norm='sum'))
    with pytest.raises(TypeError, match='class_weight_norm'):
        MODELS.build(dict(type='JointFocalCELoss',
                          class_weight_norm='weight_sum'))


def test_weight_sum_with_soft_labels_uses_each_samples_mixed_weight():
    z, y, h = inputs(n=8, soft=True)
    cs = MODELS.build(
        dict(type='CostSensitiveCELoss', class_weight_norm='weight_sum'))
    w = _normalised(1 / COUNTS.double())
    per_sample = ref_cost_sensitive(z, y, COUNTS, h)
    torch.testing.assert_close(call(cs, z, y, avg_factor=8),
                               per_sample.sum() / (y @ w).sum())
