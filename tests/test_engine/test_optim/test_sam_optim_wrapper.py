"""SAMOptimWrapper: the two passes against a hand computation, ASAM's
perturbation, clipping on the second pass, BatchNorm statistics updated
once, AMP (its code path on CPU; the real thing on CUDA) and bad
arguments. The 2-process (gloo) run is in
test_sam_swa_distributed.py."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper

import mmlt  # noqa: F401
from mmlt.engine.optim import SAMOptimWrapper, sam_perturbation
from mmlt.registry import OPTIM_WRAPPERS

pytestmark = pytest.mark.usefixtures('one_thread')


class TinyNet(BaseModel):
    """Linear -> (BatchNorm) -> ReLU -> Linear; cross-entropy in 'loss'."""

    def __init__(self, bn: bool = False):
        super().__init__()
        torch.manual_seed(0)
        self.fc1 = nn.Linear(4, 6)
        self.bn = nn.BatchNorm1d(6) if bn else nn.Identity()
        self.fc2 = nn.Linear(6, 3)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc2(F.relu(self.bn(self.fc1(inputs))))
        if mode == 'loss':
            return dict(loss=F.cross_entropy(out, data_samples))
        return out


def batch(seed=1, n=8):
    g = torch.Generator().manual_seed(seed)
    return dict(inputs=torch.randn(n, 4, generator=g),
                data_samples=torch.randint(0, 3, (n, ), generator=g))


def loss_grads(model, data):
    model.zero_grad()
    model(data['inputs'], data['data_samples'], mode='loss')['loss'].backward()
    return [p.grad.clone() for p in model.parameters()]


def sam_wrapper(model, lr=0.5, **kwargs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='SAMOptimWrapper', **kwargs),
        default_args=dict(optimizer=optimizer))
    assert isinstance(wrapper, SAMOptimWrapper)
    return wrapper


def expected_step(model, data, lr, rho, adaptive=False, eta=0.01,
                  max_norm=None):
    """SGD from w with the gradient at w + eps (Foret et al., Eq. 2)."""
    ref = copy.deepcopy(model)
    w = [p.detach().clone() for p in ref.parameters()]
    g1 = loss_grads(ref, data)
    if adaptive:
        t = [p.abs() + eta for p in w]
        norm = torch.sqrt(sum(((ti * g)**2).sum() for ti, g in zip(t, g1)))
        eps = [rho * ti**2 * g / norm for ti, g in zip(t, g1)]
    else:
        norm = torch.sqrt(sum((g**2).sum() for g in g1))
        eps = [rho * g / norm for g in g1]
    with torch.no_grad():
        for p, e in zip(ref.parameters(), eps):
            p.add_(e)
    g2 = loss_grads(ref, data)
    step = g2
    if max_norm is not None:
        total = torch.sqrt(sum((g**2).sum() for g in g2))
        step = [g * min(1.0, max_norm / (float(total) + 1e-6)) for g in g2]
    return [wi - lr * g for wi, g in zip(w, step)], g1, g2


@pytest.mark.parametrize('adaptive', [False, True])
def test_one_step_equals_the_hand_computed_two_passes(adaptive):
    model, data = TinyNet(), batch()
    rho = 0.05 if not adaptive else 0.5
    expected, g1, g2 = expected_step(model, data, 0.5, rho, adaptive)
    # the second-pass gradient really differs from the first
    assert max(float((a - b).abs().max()) for a, b in zip(g1, g2)) > 1e-4
    wrapper = sam_wrapper(model, rho=rho, adaptive=adaptive)
    log = model.train_step(data, wrapper)
    for p, e in zip(model.parameters(), expected):
        torch.testing.assert_close(p.detach(), e, rtol=1e-5, atol=1e-6)
    # the logged loss is the first pass's, at w
    assert 'loss' in log
    assert wrapper.message_hub.get_scalar(
        'train/sam_grad_norm').current() == pytest.approx(
            float(torch.sqrt(sum((g**2).sum() for g in g1))), rel=1e-5)
    # a plain SGD step would land elsewhere
    plain = TinyNet()
    plain.train_step(data, OptimWrapper(
        torch.optim.SGD(plain.parameters(), lr=0.5)))
    assert not all(
        torch.allclose(a, b, atol=1e-6)
        for a, b in zip(plain.parameters(), model.parameters()))
    # one update, one count: gradient accumulation bookkeeping intact
    assert wrapper.inner_count == 1


def test_clipping_applies_to_the_second_pass():
    model, data = TinyNet(), batch(seed=3)
    expected, _, g2 = expected_step(model, data, 0.5, 0.05, max_norm=0.01)
    assert float(torch.sqrt(sum((g**2).sum() for g in g2))) > 0.01
    wrapper = sam_wrapper(model, rho=0.05, clip_grad=dict(max_norm=0.01))
    model.train_step(data, wrapper)
    for p, e in zip(model.parameters(), expected):
        torch.testing.assert_close(p.detach(), e, rtol=1e-5, atol=1e-6)


def test_batchnorm_statistics_are_updated_by_the_first_pass_only():
    model, data = TinyNet(bn=True), batch()
    ref = copy.deepcopy(model)
    ref.train()
    with torch.no_grad():
        ref(data['inputs'])  # one forward at w: momentum 0.1 update
    model.train()
    model.train_step(data, sam_wrapper(model))
    torch.testing.assert_close(model.bn.running_mean, ref.bn.running_mean)
    torch.testing.assert_close(model.bn.running_var, ref.bn.running_var)
    assert model.bn.momentum == 0.1  # restored


def test_sam_perturbation_by_hand():
    p = [torch.tensor([1.0, -2.0]), torch.tensor([0.5])]
    g = [torch.tensor([3.0, 0.0]), torch.tensor([4.0])]
    # SAM: rho * g / ||g|| with ||g|| = 5
    eps = sam_perturbation(p, g, rho=0.5)
    torch.testing.assert_close(eps[0], torch.tensor([0.3, 0.0]))
    torch.testing.assert_close(eps[1], torch.tensor([0.4]))
    # ASAM, eta=0: T = |w|; T g = (3, 0, 2), norm sqrt(13); eps = rho T^2 g
    eps = sam_perturbation(p, g, rho=1.0, adaptive=True, eta=0.0)
    n = 13**0.5
    torch.testing.assert_close(eps[0], torch.tensor([3.0 / n, 0.0]))
    torch.testing.assert_close(eps[1], torch.tensor([0.25 * 4.0 / n]))
    # a zero gradient gives no perturbation (no division by zero)
    zero = sam_perturbation(p, [torch.zeros(2), torch.zeros(1)], rho=0.05)
    assert all(float(e.abs().sum()) == 0 for e in zero)


def test_bad_arguments_and_misuse():
    model = TinyNet()
    for bad in (0, -0.1, 'big', True):
        with pytest.raises(ValueError, match=f'rho={bad!r}'):
            sam_wrapper(model, rho=bad)
    with pytest.raises(ValueError, match='eta=-1'):
        sam_wrapper(model, eta=-1)
    with pytest.raises(TypeError, match="adaptive='yes'"):
        sam_wrapper(model, adaptive='yes')
    with pytest.raises(ValueError, match='accumulative_counts=2'):
        sam_wrapper(model, accumulative_counts=2)
    wrapper = sam_wrapper(model)
    loss = model(**batch(), mode='loss')['loss']
    with pytest.raises(RuntimeError, match='exactly one model call'):
        wrapper.update_params(loss)


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="AmpOptimWrapper asserts a GPU (MMEngine's "
                    'loss scaler); the CPU path is tested above')
def test_amp_step_matches_the_fp32_step_closely():
    model, data = TinyNet().cuda(), batch()
    data = {k: v.cuda() for k, v in data.items()}
    expected, _, _ = expected_step(model, data, 0.5, 0.05)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='AmpSAMOptimWrapper', rho=0.05, dtype='bfloat16',
             loss_scale=1024.0),
        default_args=dict(optimizer=optimizer))
    model.train_step(data, wrapper)
    for p, e in zip(model.parameters(), expected):
        torch.testing.assert_close(p.detach(), e, rtol=0.05, atol=0.02)
    # the norm is of the unscaled gradient, not 1024 times it
    g1 = loss_grads(TinyNet().cuda(), data)
    assert wrapper.message_hub.get_scalar(
        'train/sam_grad_norm').current() == pytest.approx(
            float(torch.sqrt(sum((g**2).sum() for g in g1))), rel=0.05)


def test_amp_path_on_cpu_unscales_before_the_norm(monkeypatch):
    """AmpSAMOptimWrapper's code path on CPU: MMEngine's GPU check patched
    out, torch's CPU GradScaler (scale 1024) and bf16 autocast."""
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    model, data = TinyNet(), batch()
    expected, g1, _ = expected_step(model, data, 0.5, 0.05)
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='AmpSAMOptimWrapper', rho=0.05, dtype='bfloat16'),
        default_args=dict(
            optimizer=torch.optim.SGD(model.parameters(), lr=0.5)))
    wrapper.loss_scaler = torch.amp.GradScaler('cpu', init_scale=1024.0)
    model.train_step(data, wrapper)
    for p, e in zip(model.parameters(), expected):
        torch.testing.assert_close(p.detach(), e, rtol=0.05, atol=0.02)
    # the first pass's norm is of the unscaled gradient, not 1024 times it
    assert wrapper.message_hub.get_scalar(
        'train/sam_grad_norm').current() == pytest.approx(
            float(torch.sqrt(sum((g**2).sum() for g in g1))), rel=0.05)
    assert wrapper.loss_scaler.get_scale() == 1024.0  # no overflow
