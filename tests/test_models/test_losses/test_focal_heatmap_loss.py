"""FocalHeatmapLoss: heatmaps, soft targets, weights, and MMPose use."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import Registry

import mmlt  # noqa: F401
from mmlt.registry import MODELS


def gaussian_heatmaps(n=2, k=3, size=8, seed=0):
    """Heatmaps with one exact peak (1.0) per channel, as MMPose encodes."""
    gen = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size),
                            indexing='ij')
    maps = torch.zeros(n, k, size, size, dtype=torch.float64)
    for i in range(n):
        for j in range(k):
            cy, cx = torch.randint(0, size, (2, ), generator=gen).tolist()
            maps[i, j] = torch.exp(-((ys - cy)**2 + (xs - cx)**2) / 4.0)
    return maps


def reference(pred, target, alpha=2.0, beta=4.0, keep=None):
    """CornerNet Eq. 1 in float64, summed over everything: the numerator
    of the normalised loss."""
    p = 1 / (1 + torch.exp(-pred))
    pos = target == 1
    loss = torch.where(pos, -(1 - p)**alpha * torch.log(p),
                       -(1 - target)**beta * p**alpha * torch.log(1 - p))
    if keep is not None:
        loss = loss * keep
    return loss


def test_heatmaps_match_cornernet_normalised_by_positives():
    target = gaussian_heatmaps()
    pred = torch.randn(target.shape, dtype=torch.float64,
                       generator=torch.Generator().manual_seed(1))
    loss = MODELS.build(dict(type='FocalHeatmapLoss'))
    num_pos = (target == 1).sum()
    assert num_pos == 6
    torch.testing.assert_close(
        loss(pred, target),
        reference(pred, target).sum() / num_pos)
    torch.testing.assert_close(
        loss(pred, target, reduction_override='none'),
        reference(pred, target).flatten(1).sum(1))


def test_target_weights_only_with_use_target_weight():
    target = gaussian_heatmaps()
    pred = torch.randn(target.shape, dtype=torch.float64)
    kw = torch.tensor([[1., 0., 1.], [1., 1., 0.]], dtype=torch.float64)
    keep = kw[:, :, None, None].expand_as(target)
    weighted = MODELS.build(
        dict(type='FocalHeatmapLoss', use_target_weight=True))
    # MMPose passes the keypoint weights as the third positional argument
    torch.testing.assert_close(
        weighted(pred, target, kw),
        reference(pred, target, keep=keep).sum() / 4)  # 4 kept positives
    plain = MODELS.build(dict(type='FocalHeatmapLoss'))
    torch.testing.assert_close(plain(pred, target, kw), plain(pred, target))


def test_fractional_target_weights_normalise_as_mmpose():
    # MMPose's FocalHeatmapLoss divides by sum(positive * weight * mask)
    # (and by 1 when that is 0), not by the number of weighted positives
    target = gaussian_heatmaps()
    pred = torch.randn(target.shape, dtype=torch.float64,
                       generator=torch.Generator().manual_seed(1))
    kw = torch.tensor([[1., 0., 1.], [1., 1., 0.5]], dtype=torch.float64)
    keep = kw[:, :, None, None].expand_as(target)
    loss = MODELS.build(dict(type='FocalHeatmapLoss', use_target_weight=True))
    numerator = reference(pred, target, keep=keep).sum()
    torch.testing.assert_close(loss(pred, target, kw), numerator / 4.5)
    mask = torch.zeros_like(target)
    mask[..., :4] = 1
    positives = ((target == 1) * keep * mask).sum()
    torch.testing.assert_close(
        loss(pred, target, kw, mask=mask),
        reference(pred, target, keep=keep * mask).sum() / positives)
    # a weighted positive count below 1 divides, as MMPose does
    small = torch.full((2, 3), 0.1, dtype=torch.float64)
    torch.testing.assert_close(
        loss(pred, target, small),
        reference(pred, target, keep=small[:, :, None, None]).sum() / 0.6)
    # no positive left: the sum itself
    none = torch.zeros(2, 3, dtype=torch.float64)
    none[0, 0] = 1.0
    no_pos = target.clone()
    no_pos[0, 0][no_pos[0, 0] == 1] = 0.99
    torch.testing.assert_close(
        loss(pred, no_pos, none),
        reference(pred, no_pos, keep=none[:, :, None, None]).sum())


def test_per_sample_weights_and_mask():
    target = gaussian_heatmaps()
    pred = torch.randn(target.shape, dtype=torch.float64)
    loss = MODELS.build(dict(type='FocalHeatmapLoss'))
    per_sample = loss(pred, target, reduction_override='none')
    w = torch.tensor([2.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close(
        loss(pred, target, w), (w * per_sample).sum() / 6)
    mask = torch.zeros_like(target)
    mask[:, :, :4] = 1
    torch.testing.assert_close(
        loss(pred, target, mask=mask),
        reference(pred, target, keep=mask).sum() /
        max(int(((target == 1) & (mask > 0)).sum()), 1))
    with pytest.raises(ValueError, match='per sample'):
        loss(pred, target, torch.ones(3))


def test_probabilities_as_mmpose_heads_output():
    target = gaussian_heatmaps()
    pred = torch.randn(target.shape, dtype=torch.float64)
    from_logits = MODELS.build(dict(type='FocalHeatmapLoss'))
    from_probs = MODELS.build(dict(type='FocalHeatmapLoss',
                                   use_sigmoid=False))
    torch.testing.assert_close(
        from_probs(torch.sigmoid(pred).clamp(1e-4, 1 - 1e-4), target),
        from_logits(pred.clamp(-9.21, 9.21), target), rtol=1e-6, atol=1e-6)


def test_class_indices_equal_one_hot_and_soft_targets_work():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(6, 5, dtype=torch.float64, generator=gen) * 3
    y = torch.randint(0, 5, (6, ), generator=gen)
    loss = MODELS.build(dict(type='FocalHeatmapLoss'))
    one_hot = F.one_hot(y, 5).double()
    # the fast path for indices and the general path agree
    torch.testing.assert_close(loss(z, y), loss(z, one_hot))
    torch.testing.assert_close(loss(z, y, avg_factor=6),
                               reference(z, one_hot).sum() / 6)
    soft = 0.7 * one_hot + 0.3 * one_hot.roll(1, 0)
    torch.testing.assert_close(
        loss(z, soft, reduction_override='sum'), reference(z, soft).sum())


@pytest.mark.parametrize('hard', [True, False])
def test_gradcheck(hard):
    gen = torch.Generator().manual_seed(2)
    z = torch.randn(4, 5, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 5, (4, ), generator=gen)
    target = y if hard else 0.6 * F.one_hot(y, 5).double() + 0.1
    loss = MODELS.build(dict(type='FocalHeatmapLoss'))
    assert torch.autograd.gradcheck(
        lambda z: loss(z, target), (z.requires_grad_(), ))
    heat = gaussian_heatmaps(1, 2, 4)
    zh = torch.randn(heat.shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z: loss(z, heat), (zh, ))


@pytest.mark.parametrize('hard', [True, False])
def test_finite_under_bf16_autocast_with_huge_logits(hard):
    gen = torch.Generator().manual_seed(3)
    z = (torch.randn(8, 5, generator=gen).sign() * 1e4).bfloat16()
    z.requires_grad_()
    y = torch.randint(0, 5, (8, ), generator=gen)
    target = y if hard else F.one_hot(y, 5).float()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = MODELS.build(dict(type='FocalHeatmapLoss'))(z, target)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(z.grad.float()).all()


def test_built_from_another_scope_like_an_mmpose_config():
    # MMPose's registry is a sibling of MMPretrain's under mmengine's root:
    # its configs reach mmlt's loss by the scoped name.
    pose_models = Registry('model', parent=ROOT_MODELS, scope='mmpose_like')
    loss = pose_models.build(
        dict(type='mmpretrain.FocalHeatmapLoss', use_target_weight=True))
    assert type(loss).__name__ == 'FocalHeatmapLoss'


def test_bad_arguments():
    with pytest.raises(ValueError, match='alpha=-1'):
        MODELS.build(dict(type='FocalHeatmapLoss', alpha=-1))
    loss = MODELS.build(dict(type='FocalHeatmapLoss'))
    with pytest.raises(ValueError, match='must match pred'):
        loss(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 5))
