"""The equalization loss's draws (dense mask and fast positions): distribution
and equivalence."""
import pytest
import torch

import mmlt  # noqa: F401
from mmlt.models.losses.softmax_eql_loss import (bernoulli_positions,
                                                 softmax_eql_loss,
                                                 softmax_eql_loss_kept)
from mmlt.registry import MODELS

CPU = torch.device('cpu')


@pytest.mark.parametrize('prob', [0.02, 0.1, 0.5, 0.9])
def test_bernoulli_positions_are_independent_bernoulli(prob):
    torch.manual_seed(0)
    n = 200_000
    pos = bernoulli_positions(n, prob, CPU)
    assert pos.dtype == torch.long
    assert (pos[1:] > pos[:-1]).all() and pos.min() >= 0 and pos.max() < n
    hits = torch.zeros(n, dtype=torch.bool)
    hits[pos] = True
    sd = (prob * (1 - prob) / n)**0.5
    assert abs(hits.double().mean().item() - prob) < 5 * sd
    # neighbours independent: P(both) = prob^2
    both = (hits[1:] & hits[:-1]).double().mean().item()
    assert abs(both - prob**2) < 5 * (prob**2 * (1 - prob**2) / n)**0.5
    # no drift along the sequence (first and last quarter alike)
    q = n // 4
    first, last = hits[:q].double().mean(), hits[-q:].double().mean()
    assert abs(first - last).item() < 10 * (prob * (1 - prob) / q)**0.5
    # the gaps between successes are geometric: P(gap = k) = (1-p)^k p
    gaps = pos.diff() - 1
    for k in range(8):
        want = (1 - prob)**k * prob
        got = (gaps == k).double().mean().item()
        assert abs(got - want) < 5 * (want * (1 - want) / gaps.numel())**0.5


def test_bernoulli_positions_edges_and_seed():
    assert bernoulli_positions(10, 0.0, CPU).numel() == 0
    assert bernoulli_positions(10, 1.0, CPU).tolist() == list(range(10))
    assert bernoulli_positions(0, 0.5, CPU).numel() == 0
    torch.manual_seed(3)
    a = bernoulli_positions(1000, 0.3, CPU)
    torch.manual_seed(3)
    assert torch.equal(a, bernoulli_positions(1000, 0.3, CPU))
    # a tiny probability still ends (the loop passes the end)
    assert bernoulli_positions(5, 1e-9, CPU).numel() <= 5


@pytest.mark.parametrize('tail', [[0, 1, 2, 3, 4], [2, 4]])
def test_kept_positions_equal_the_dense_mask(tail):
    gen = torch.Generator().manual_seed(0)
    n, c = 40, 5
    z = torch.randn(n, c, generator=gen, dtype=torch.float64) * 3
    z.requires_grad_()
    y = torch.randint(0, c, (n, ), generator=gen)
    tail = torch.tensor(tail)
    kept = torch.nonzero(
        torch.rand(n * len(tail), generator=gen) < 0.3).flatten()
    drop = torch.zeros(n, c, dtype=torch.bool)
    block = torch.ones(n * len(tail), dtype=torch.bool)
    block[kept] = False
    drop[:, tail] = block.view(n, len(tail))
    fast = softmax_eql_loss_kept(z, y, tail, kept)
    dense = softmax_eql_loss(z, y, drop)
    torch.testing.assert_close(fast, dense)
    g_fast, = torch.autograd.grad(fast.sum(), z)
    g_dense, = torch.autograd.grad(dense.sum(), z)
    torch.testing.assert_close(g_fast, g_dense)
    assert torch.autograd.gradcheck(
        lambda x: softmax_eql_loss_kept(x, y, tail, kept), (z, ))


@pytest.mark.parametrize('gamma,n,seed,expected,atol', [
    # gamma <= 0.5: the dense Bernoulli mask; each outcome 1/4
    (0.5, 2000, 3, [0.25, 0.25, 0.25, 0.25], 0.04),
    # gamma = 0.9: the fast path (positions of the entries that stay)
    (0.9, 4000, 1, [0.01, 0.09, 0.09, 0.81], 0.02),
])
def test_tail_negatives_dropped_with_probability_gamma(gamma, n, seed,
                                                        expected, atol):
    # classes 3 and 4 are the tail classes (f < 0.1); a sample of class 0
    # keeps both, one or none of their terms: four possible losses
    counts = torch.tensor([40, 20, 9, 4, 2])
    z = torch.randn(n, 5, generator=torch.Generator().manual_seed(seed))
    y = torch.zeros(n, dtype=torch.long)
    loss = MODELS.build(
        dict(type='SoftmaxEQLLoss', gamma=gamma, freq_threshold=0.1))
    torch.manual_seed(0)
    got = loss(z, y, class_counts=counts, reduction_override='none')
    e = torch.exp(z)
    options = torch.stack([
        torch.log(e[:, keep].sum(1)) - z[:, 0]
        for keep in ([0, 1, 2, 3, 4], [0, 1, 2, 3], [0, 1, 2, 4], [0, 1, 2])
    ], 1)
    which = (got[:, None] - options).abs().argmin(1)
    assert torch.allclose(got, options.gather(1, which[:, None]).squeeze(1),
                          atol=1e-5)
    share = torch.bincount(which, minlength=4).double() / n
    assert torch.allclose(share, torch.tensor(expected, dtype=torch.float64),
                          atol=atol)
