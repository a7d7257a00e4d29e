"""The hand-written gradients of the shared fused computations."""
import pytest
import torch
import torch.nn.functional as F

import mmlt  # noqa: F401
from mmlt.models.losses.fused_ops import (_sum_log_, adjusted_cross_entropy,
                                          sigmoid_focal_one_hot)

GEN = torch.Generator().manual_seed(0)
Z = torch.randn(4, 5, dtype=torch.float64, generator=GEN)
Y = torch.tensor([0, 3, 3, 1])
SOFT = 0.75 * F.one_hot(Y, 5).double() + 0.25 * F.one_hot(Y.flip(0),
                                                           5).double()
SCALE = torch.rand(5, dtype=torch.float64, generator=GEN) + 0.5
OFFSET = torch.randn(5, dtype=torch.float64, generator=GEN)
WEIGHT = torch.rand(5, dtype=torch.float64, generator=GEN) + 0.1
MASK = torch.zeros(4, 5, dtype=torch.bool)
MASK[0, 4] = MASK[2, 1] = True


@pytest.mark.parametrize('target', [Y, SOFT], ids=['hard', 'soft'])
@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(scale=2.5, class_weight=WEIGHT),
    dict(scale=SCALE, offset=OFFSET),
    dict(mask=MASK, class_weight=WEIGHT),
], ids=['plain', 'scalar-scale-weight', 'scale-offset', 'mask-weight'])
def test_adjusted_cross_entropy(target, kwargs):
    z = Z.clone().requires_grad_()
    zz = Z * kwargs.get('scale', 1.0) + kwargs.get('offset', 0.0)
    zz = zz.masked_fill(kwargs.get('mask', torch.zeros_like(MASK)),
                        float('-inf'))
    t = F.one_hot(target, 5).double() if target.dim() == 1 else target
    w = kwargs.get('class_weight', torch.ones(5, dtype=torch.float64))
    log_p = F.log_softmax(zz, 1).clamp_min(-1e300)
    expected = -(t * w * log_p).sum(1)
    torch.testing.assert_close(adjusted_cross_entropy(z, target, **kwargs),
                               expected)
    assert torch.autograd.gradcheck(
        lambda z: adjusted_cross_entropy(z, target, **kwargs), (z, ))


def test_target_offset_needs_indices():
    z = Z.clone().requires_grad_()
    offset = torch.tensor([0.5, -1.0, 0.2, 0.3], dtype=torch.float64)
    expected = F.cross_entropy(
        Z.scatter_add(1, Y[:, None], offset[:, None]), Y, reduction='none')
    torch.testing.assert_close(
        adjusted_cross_entropy(z, Y, target_offset=offset), expected)
    assert torch.autograd.gradcheck(
        lambda z: adjusted_cross_entropy(z, Y, target_offset=offset), (z, ))
    with pytest.raises(ValueError, match='class indices'):
        adjusted_cross_entropy(z, SOFT, target_offset=offset)


@pytest.mark.parametrize('gamma', [0.0, 0.5, 1.0, 2.0, 4.0])
def test_sigmoid_focal_one_hot(gamma):
    z = (Z * 4).requires_grad_()
    t = F.one_hot(Y, 5).double()
    p = torch.sigmoid(z.detach())
    expected = (F.binary_cross_entropy_with_logits(
        z.detach(), t, reduction='none') *
        ((1 - p) * t + p * (1 - t))**gamma).sum(1)
    torch.testing.assert_close(sigmoid_focal_one_hot(z, Y, gamma), expected)
    assert torch.autograd.gradcheck(
        lambda z: sigmoid_focal_one_hot(z, Y, gamma), (z, ))


@pytest.mark.parametrize('width', [1, 2, 3, 63, 64, 65, 1000, 4097])
def test_sum_log_equals_the_sum_of_logs(width):
    x = torch.rand(3, width, dtype=torch.float64, generator=GEN) / 2 + 0.5
    torch.testing.assert_close(_sum_log_(x.clone()), x.log().sum(1),
                               rtol=1e-12, atol=1e-12)


def test_sum_log_does_not_underflow_on_long_rows():
    # 4096 factors of 1/2: one product would be 2^-4096 (0 in float32 and
    # float64); groups of at most 64 stay >= 2^-64
    x = torch.full((2, 4096), 0.5)
    torch.testing.assert_close(_sum_log_(x),
                               torch.full((2, ), -4096 * 0.6931471805599453))


@pytest.mark.parametrize('scale', [0.1, 1.0, 20.0, 1e4])
@pytest.mark.parametrize('gamma', [0.0, 2.0])
def test_sigmoid_focal_one_hot_float32_on_1000_classes(scale, gamma):
    # float32 against float64 for the width the benchmark uses: the grouped
    # logarithm of gamma=0 must not cost accuracy
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(16, 1000, generator=gen) * scale
    y = torch.randint(0, 1000, (16, ), generator=gen)
    t = F.one_hot(y, 1000).double()
    zd = z.double()
    p = torch.sigmoid(zd)
    expected = (F.binary_cross_entropy_with_logits(zd, t, reduction='none') *
                ((1 - p) * t + p * (1 - t))**gamma).sum(1)
    torch.testing.assert_close(sigmoid_focal_one_hot(z, y, gamma).double(),
                               expected, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize('scale', ['none', 'float', 'per-class'])
@pytest.mark.parametrize('reduction', ['mean', 'sum', 'weighted'])
def test_adjusted_cross_entropy_backward_uniform_and_weighted(
        scale, reduction):
    # mean/sum hand the backward an expanded scalar (its one-pass branch),
    # per-sample weights a full tensor: both equal autograd through F.
    from mmlt.models.losses.fused_ops import adjusted_cross_entropy
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(7, 5, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 5, (7, ), generator=gen)
    a = dict(none=None, float=2.5,
             **{'per-class': torch.rand(5, generator=gen,
                                        dtype=torch.float64) + 0.5})[scale]
    w = torch.arange(7, dtype=torch.float64)

    def reduce(loss):
        return dict(mean=loss.mean, sum=loss.sum,
                    weighted=lambda: (loss * w).sum())[reduction]()

    z1 = z.clone().requires_grad_()
    got, = torch.autograd.grad(reduce(adjusted_cross_entropy(z1, y, a)), z1)
    z2 = z.clone().requires_grad_()
    ref = torch.nn.functional.cross_entropy(
        z2 * (1.0 if a is None else a), y, reduction='none')
    want, = torch.autograd.grad(reduce(ref), z2)
    torch.testing.assert_close(got, want)
    assert torch.autograd.gradcheck(
        lambda x: reduce(adjusted_cross_entropy(x, y, a)), (z1, ))
