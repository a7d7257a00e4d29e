"""The prior-corrected losses on mixed targets (input mixup, CutMix): the
prior correction is applied to the logits, and the soft-target
cross-entropy to the corrected logits, so a mixed target
λ·y_a + (1 − λ)·y_b gives λ·L(y_a) + (1 − λ)·L(y_b) with L the loss on the
corrected logits (Menon et al., ICLR 2021, eq. 10; Ren et al., NeurIPS
2020), checked in float64 against a NumPy evaluation of that formula."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.utils.batch_augments import CutMix, Mixup
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS

COUNTS = np.array([500., 120., 30., 6.])
NUM = len(COUNTS)
# (loss config, the offset it adds to the logits)
LOSSES = {
    'logit-adjusted': (dict(type='LogitAdjustedLoss', tau=1.0),
                       np.log(COUNTS / COUNTS.sum())),
    'logit-adjusted-tau0.5': (dict(type='LogitAdjustedLoss', tau=0.5),
                              0.5 * np.log(COUNTS / COUNTS.sum())),
    'balanced-softmax': (dict(type='BalancedSoftmaxLoss'), np.log(COUNTS)),
}


def _reference(logits, target, offset, class_weight=None):
    """-sum_c w_c t_c log softmax(z + o)_c per sample, in NumPy float64."""
    z = logits + offset
    log_p = z - z.max(1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(1, keepdims=True))
    w = np.ones(z.shape[1]) if class_weight is None else class_weight
    return -(target * w * log_p).sum(1)


def _batch(seed=0, n=16):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n, NUM))
    y_a, y_b = rng.integers(0, NUM, n), rng.integers(0, NUM, n)
    lam = rng.uniform(0, 1, size=(n, 1))
    eye = np.eye(NUM)
    return logits, y_a, y_b, lam, lam * eye[y_a] + (1 - lam) * eye[y_b]


def _build(cfg, **kwargs):
    loss = MODELS.build(dict(cfg, reduction='none', **kwargs))
    loss.set_class_counts(torch.as_tensor(COUNTS))
    return loss


@pytest.mark.parametrize('name', sorted(LOSSES))
@pytest.mark.parametrize('class_weight', [None, [0.5, 1.0, 2.0, 4.0]])
def test_mixed_target_is_the_mix_of_the_losses(name, class_weight):
    cfg, offset = LOSSES[name]
    loss = _build(cfg, class_weight=class_weight)
    logits, y_a, y_b, lam, mixed = _batch()
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    on_mixed = loss(z, torch.tensor(mixed))
    on_a = loss(z, torch.tensor(y_a))
    on_b = loss(z, torch.tensor(y_b))
    lam_t = torch.tensor(lam[:, 0])
    torch.testing.assert_close(on_mixed, lam_t * on_a + (1 - lam_t) * on_b,
                               rtol=1e-12, atol=1e-12)
    weight = None if class_weight is None else np.array(class_weight)
    np.testing.assert_allclose(
        on_mixed.detach().numpy(),
        _reference(logits, mixed, offset, weight), rtol=1e-12, atol=1e-12)
    # the gradient is the mix of the two gradients too
    grad_mixed, = torch.autograd.grad(on_mixed.sum(), z)
    grad_mix, = torch.autograd.grad((lam_t * on_a +
                                     (1 - lam_t) * on_b).sum(), z)
    torch.testing.assert_close(grad_mixed, grad_mix, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('name', sorted(LOSSES))
def test_the_correction_is_on_the_logits_not_the_target(name):
    """The mixed loss is soft cross-entropy of z + o (not of z, and not a
    target re-weighted by the prior)."""
    cfg, offset = LOSSES[name]
    loss = _build(cfg)
    logits, _, _, _, mixed = _batch(seed=1)
    z = torch.tensor(logits)
    got = loss(z, torch.tensor(mixed))
    soft_ce = -(torch.tensor(mixed) * F.log_softmax(
        z + torch.tensor(offset), dim=1)).sum(1)
    torch.testing.assert_close(got, soft_ce, rtol=1e-12, atol=1e-12)
    plain = -(torch.tensor(mixed) * F.log_softmax(z, dim=1)).sum(1)
    assert not torch.allclose(got, plain)


@pytest.mark.parametrize('augment', [Mixup(alpha=1.0), CutMix(alpha=1.0)],
                         ids=['mixup', 'cutmix'])
@pytest.mark.parametrize('name', ['logit-adjusted', 'balanced-softmax'])
def test_the_head_passes_the_batch_augments_soft_labels(augment, name):
    """Through mmlt's head, with MMPretrain's batch augments making the
    targets (as the combination configs' data preprocessor does)."""
    cfg, offset = LOSSES[name]
    head = MODELS.build(dict(type='LTLinearClsHead', num_classes=NUM,
                             in_channels=5, loss=cfg)).double()
    head.set_class_counts(COUNTS.astype(np.int64))
    torch.manual_seed(0)
    np.random.seed(0)
    labels = torch.tensor([0, 1, 2, 3, 0, 0, 1, 3])
    images = torch.rand(len(labels), 1, 8, 8)
    _, scores = augment(images, F.one_hot(labels, NUM))
    samples = [DataSample().set_gt_label(int(y)).set_gt_score(s)
               for y, s in zip(labels, scores)]
    feats = torch.randn(len(labels), 5, dtype=torch.float64)
    got = head.loss((feats, ), samples)['loss']
    logits = head(((feats, ))).detach().numpy()
    expected = _reference(logits, scores.double().numpy(), offset).mean()
    assert not np.allclose(scores.numpy().max(1), 1)  # the targets are mixed
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)
