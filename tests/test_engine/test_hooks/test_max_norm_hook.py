"""MaxNormHook: the per-class radius and the projection against a float64
reference of the paper's algorithm, its argument checks, and a Runner that
trains, checkpoints and resumes under the cap."""
import numpy as np
import pytest
import torch

from mmlt.engine.hooks import (MaxNormHook, max_norm_threshold,
                               project_max_norm_)
from model_helpers import toy_runner, train_logged

pytestmark = pytest.mark.usefixtures('one_thread')


def _reference(weight: np.ndarray, thresh: float):
    """Weight balancing's MaxNorm in float64 loops: the radius
    ``min + thresh * (max - min)`` of the row norms, then every row longer
    than it rescaled to it."""
    norms = [np.sqrt(sum(v * v for v in row.ravel())) for row in weight]
    radius = min(norms) + thresh * (max(norms) - min(norms))
    out = weight.copy()
    for i, n in enumerate(norms):
        if n > radius:
            out[i] = weight[i] * (radius / n)
    return radius, out


@pytest.mark.parametrize('thresh', [0.0, 0.1, 0.5, 1.0])
def test_radius_and_projection_match_the_float64_reference(thresh):
    gen = torch.Generator().manual_seed(3)
    # row norms spread like a long-tailed classifier's
    weight = torch.randn(10, 6, generator=gen, dtype=torch.float64) * \
        torch.linspace(0.2, 3.0, 10, dtype=torch.float64)[:, None]
    radius, expected = _reference(weight.numpy(), thresh)
    longer = int((np.linalg.norm(weight.numpy(), axis=1) > radius).sum())
    assert max_norm_threshold(weight, thresh) == pytest.approx(radius,
                                                               rel=1e-12)
    assert project_max_norm_(weight, radius) == longer
    np.testing.assert_allclose(weight.numpy(), expected, rtol=1e-12)
    norms = weight.norm(dim=1)
    assert norms.max() <= radius * (1 + 1e-12)
    # thresh 1: the largest norm is the radius, nothing is scaled
    assert (longer == 0) == (thresh == 1.0)


def test_projection_keeps_rows_inside_the_ball_and_counts_the_others():
    weight = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 2.0]])
    assert project_max_norm_(weight, 1.0) == 2
    torch.testing.assert_close(
        weight, torch.tensor([[0.6, 0.8], [0.3, 0.4], [0.0, 1.0]]))
    # conv-shaped weights: one row per output channel
    conv = torch.ones(2, 1, 2, 2) * torch.tensor([1.0, 3.0])[:, None, None,
                                                             None]
    assert project_max_norm_(conv, 2.0) == 1
    torch.testing.assert_close(conv.flatten(1).norm(dim=1),
                               torch.tensor([2.0, 2.0]))


@pytest.mark.parametrize('thresh', [-0.1, 1.5, 'x', True, None])
def test_bad_thresh_is_refused_naming_it(thresh):
    with pytest.raises(ValueError, match=f'thresh={thresh!r}'):
        MaxNormHook(thresh=thresh)


def test_bad_radius_module_and_weight_are_refused():
    with pytest.raises(ValueError, match='radius=0.0'):
        project_max_norm_(torch.ones(2, 2), 0.0)
    with pytest.raises(ValueError, match=r'shape \(3,\)'):
        max_norm_threshold(torch.ones(3), 0.1)
    with pytest.raises(ValueError, match="module=''"):
        MaxNormHook(module='')


def test_unknown_module_is_refused_with_the_modules_that_have_weights(
        tmp_path):
    runner = toy_runner(tmp_path, 'bad', 1,
                        default_hooks=dict(
                            max_norm=MaxNormHook(module='head.fc')))
    with pytest.raises(ValueError, match=r"no module 'head.fc'.*: fc"):
        runner.train()


def _row_norms(runner):
    return runner.model.fc.weight.detach().norm(dim=1)


def test_runner_trains_under_the_cap_and_resumes_with_its_radius(tmp_path):
    opt = dict(type='SGD', lr=1.0)
    runner = toy_runner(
        tmp_path, 'cap', 2, optimizer=opt,
        default_hooks=dict(max_norm=MaxNormHook(module='fc', thresh=0.0)))
    start = runner.model.fc.weight.detach().norm(dim=1)
    records = train_logged(runner)
    hook = next(h for h in runner.hooks if isinstance(h, MaxNormHook))
    # thresh 0: the radius is the smaller of the two starting norms
    assert hook.radius == pytest.approx(start.min().item())
    assert any('capped at' in m for m in records.at(20))
    assert (_row_norms(runner) <= hook.radius * (1 + 1e-6)).all()
    ckpt = torch.load(tmp_path / 'epoch_1.pth', weights_only=False)
    assert ckpt['meta']['max_norm_threshold'] == pytest.approx(hook.radius)
    # resumed from epoch 1: the radius is the checkpoint's, not one
    # recomputed from the capped weights (marked here to tell them apart)
    ckpt['meta']['max_norm_threshold'] = 123.0
    torch.save(ckpt, tmp_path / 'marked.pth')
    resumed = toy_runner(tmp_path, 'cap', 2, optimizer=opt, resume=True,
                         default_hooks=dict(max_norm=MaxNormHook(
                             module='fc', thresh=0.0)),
                         load_from=str(tmp_path / 'marked.pth'))
    resumed.train()
    again = next(h for h in resumed.hooks if isinstance(h, MaxNormHook))
    assert again.radius == 123.0


def test_without_the_hook_the_same_training_leaves_the_ball(tmp_path):
    """The cap is what keeps the norms inside: the same run without it
    grows a row past the radius the hook would have set."""
    runner = toy_runner(tmp_path, 'free', 2,
                        optimizer=dict(type='SGD', lr=1.0))
    radius = runner.model.fc.weight.detach().norm(dim=1).min().item()
    runner.train()
    assert _row_norms(runner).max() > radius
