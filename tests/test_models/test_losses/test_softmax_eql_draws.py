"""The equalization loss's Bernoulli draws: which terms leave, how often."""
import pytest
import torch

import mmlt  # noqa: F401
from mmlt.models.losses import softmax_eql_loss
from mmlt.registry import MODELS


def test_given_draws_remove_exactly_those_negative_terms():
    # the formula with the weights w_k written out, in float64
    gen = torch.Generator().manual_seed(0)
    n, c = 40, 5
    z = torch.randn(n, c, generator=gen, dtype=torch.float64) * 3
    y = torch.randint(0, c, (n, ), generator=gen)
    drop = torch.rand(n, c, generator=gen) < 0.5
    t = torch.nn.functional.one_hot(y, c).double()
    w = 1 - drop.double() * (1 - t)  # the own class always stays
    expected = -torch.log(
        (t * torch.exp(z)).sum(1) / (w * torch.exp(z)).sum(1))
    torch.testing.assert_close(softmax_eql_loss(z, y, drop), expected)
    z.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x: softmax_eql_loss(x, y, drop), (z, ))


@pytest.mark.parametrize('gamma,n,seed,expected,atol', [
    (0.5, 2000, 3, [0.25, 0.25, 0.25, 0.25], 0.04),
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
    loss.set_class_counts(counts)
    torch.manual_seed(0)
    got = loss(z, y, reduction_override='none')
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


def test_draws_follow_the_seed():
    loss = MODELS.build(dict(type='SoftmaxEQLLoss', freq_threshold=0.1,
                             class_counts=[40, 20, 9, 4, 2]))
    z = torch.randn(64, 5)
    y = torch.zeros(64, dtype=torch.long)
    torch.manual_seed(5)
    a = loss(z, y, reduction_override='none')
    torch.manual_seed(5)
    assert torch.equal(a, loss(z, y, reduction_override='none'))
