"""Sharpness-aware minimization (SAM, ASAM) as an MMEngine optim wrapper.

SAM (Foret et al., "Sharpness-Aware Minimization for Efficiently Improving
Generalization", ICLR 2021) minimises the loss at the worst point of a
neighbourhood of radius :math:`\\rho` around the weights, with one ascent
step (their Eq. 2):

.. math::

    \\hat\\epsilon(w) = \\rho
    \\frac{\\nabla L(w)}{\\lVert\\nabla L(w)\\rVert_2},
    \\qquad g = \\nabla L(w)\\rvert_{w + \\hat\\epsilon(w)}

and the optimizer steps from :math:`w` with :math:`g`. ASAM (Kwon et al.,
"ASAM: Adaptive Sharpness-Aware Minimization for Scale-Invariant Learning of
Deep Neural Networks", ICML 2021) makes the neighbourhood
scale-invariant with the element-wise operator :math:`T_w = |w| + \\eta`:

.. math::

    \\hat\\epsilon(w) = \\rho \\frac{T_w^2 \\nabla L(w)}
    {\\lVert T_w \\nabla L(w)\\rVert_2}.

How it fits MMEngine: ``BaseModel.train_step`` (and
``MMDistributedDataParallel.train_step``) runs the forward inside
``optim_wrapper.optim_context(model)`` and then calls
``optim_wrapper.update_params(loss)``. :class:`SAMOptimWrapper` records the
model call made inside ``optim_context`` (its positional and keyword
arguments: the preprocessed batch), and ``update_params`` does both passes:
backward of the given loss, the perturbation, a second forward of the same
batch at :math:`w + \\hat\\epsilon`, its backward, the weights restored
exactly, then the usual clip and ``optimizer.step``. No model, hook or loop
changes are needed; any classifier works.

Under DDP the first forward runs inside ``model.no_sync()``, so its
backward does no all-reduce: each rank perturbs with its own local
gradient, as the SAM paper's m-sharpness (m = the per-process
batch) and the official implementations do. The second pass is all-reduced
as usual, so every rank steps with the same gradient and the weights stay
identical.

Gradient clipping (``clip_grad``) applies to the second pass's gradients,
the ones the optimizer uses. The first pass's gradients are used unclipped:
the perturbation is normalised to length :math:`\\rho`, so norm clipping
would not change it. BatchNorm running statistics are updated by the first
forward only (momentum 0 in the second, as the official implementation's
``disable_running_stats``). The logged loss is the first pass's; the local
gradient norm of the first pass is logged as ``train/sam_grad_norm``.
"""
from contextlib import ExitStack, contextmanager
from typing import Dict, Iterator, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch.nn.modules.batchnorm import _BatchNorm

from mmlt.registry import OPTIM_WRAPPERS

__all__ = ['AmpSAMOptimWrapper', 'SAMOptimWrapper', 'sam_perturbation']


def sam_perturbation(params: Sequence[torch.Tensor],
                     grads: Sequence[torch.Tensor],
                     rho: float,
                     adaptive: bool = False,
                     eta: float = 0.01) -> List[torch.Tensor]:
    """The ascent step :math:`\\hat\\epsilon(w)` of SAM or ASAM.

    Args:
        params: The weights :math:`w`.
        grads: Their gradients :math:`\\nabla L(w)` (unscaled), same order.
        rho: The neighbourhood radius :math:`\\rho`.
        adaptive: ASAM's element-wise :math:`T_w = |w| + \\eta` (Kwon et
            al.) instead of SAM's identity.
        eta: ASAM's :math:`\\eta`.

    Returns:
        list[Tensor]: One perturbation per parameter; all zeros when the
        gradient is zero (nothing to climb).
    """
    if adaptive:
        scaled = [(p.abs() + eta) * g for p, g in zip(params, grads)]
    else:
        scaled = list(grads)
    norm = torch.norm(
        torch.stack([s.detach().float().norm(2) for s in scaled]), 2)
    if norm == 0:
        return [torch.zeros_like(p) for p in params]
    factor = rho / norm
    if adaptive:
        return [((p.abs() + eta) * s * factor).to(p.dtype)
                for p, s in zip(params, scaled)]
    return [(s * factor).to(p.dtype) for p, s in zip(params, scaled)]


@contextmanager
def _frozen_bn_stats(model: nn.Module) -> Iterator[None]:
    """BatchNorm layers keep their running statistics (momentum 0)."""
    saved = []
    for m in model.modules():
        if isinstance(m, _BatchNorm) and m.track_running_stats:
            saved.append((m, m.momentum))
            m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum in saved:
            m.momentum = momentum


@OPTIM_WRAPPERS.register_module()
class SAMOptimWrapper(OptimWrapper):
    """An :class:`~mmengine.optim.OptimWrapper` doing SAM's (or ASAM's)
    two forward/backward passes per step (see the module docstring).

    Config::

        optim_wrapper = dict(
            type='SAMOptimWrapper', rho=0.05,
            optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
            clip_grad=dict(max_norm=5.0))

    Args:
        optimizer: The wrapped optimizer (built by MMEngine).
        rho: Neighbourhood radius. Foret et al.'s default 0.05; ASAM needs a
            larger one (Kwon et al. used 0.5 on CIFAR-10, 1.0 on CIFAR-100).
        adaptive: ASAM (Kwon et al., ICML 2021) instead of SAM.
        eta: ASAM's :math:`\\eta` in :math:`T_w = |w| + \\eta` (their
            default 0.01); unused by SAM.
        **kwargs: ``clip_grad`` and the other arguments of the base
            wrapper. ``accumulative_counts`` must be 1: both passes need the
            same complete batch.
    """

    def __init__(self,
                 optimizer: torch.optim.Optimizer,
                 rho: float = 0.05,
                 adaptive: bool = False,
                 eta: float = 0.01,
                 **kwargs) -> None:
        if isinstance(rho, bool) or not isinstance(rho, (int, float)) \
                or not rho > 0:
            raise ValueError(f'rho={rho!r} must be a positive number (SAM: '
                             '0.05)')
        if not isinstance(adaptive, bool):
            raise TypeError(f'adaptive={adaptive!r} must be a bool')
        if isinstance(eta, bool) or not isinstance(eta, (int, float)) \
                or eta < 0:
            raise ValueError(f'eta={eta!r} must be a non-negative number '
                             '(ASAM: 0.01)')
        counts = kwargs.get('accumulative_counts', 1)
        if counts != 1:
            raise ValueError(
                f'accumulative_counts={counts!r}: {type(self).__name__} '
                'needs the whole batch in one step (its second pass re-runs '
                'that batch); use a larger batch or accumulative_counts=1')
        super().__init__(optimizer=optimizer, **kwargs)
        self.rho = float(rho)
        self.adaptive = adaptive
        self.eta = float(eta)
        self._model: Optional[nn.Module] = None
        self._calls: List[tuple] = []

    # -- the first pass: record the model call -------------------------------
    def _record(self, module, args, kwargs) -> None:
        self._calls.append((args, dict(kwargs)))

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """The base context (AMP autocast in the AMP variant) plus: the model
        call is recorded for the second pass, and under DDP the forward
        runs in ``no_sync()`` so that the first backward is not
        all-reduced."""
        self._model = model
        self._calls = []
        handle = model.register_forward_pre_hook(
            self._record, with_kwargs=True)
        try:
            with ExitStack() as stack:
                if hasattr(model, 'no_sync'):
                    stack.enter_context(model.no_sync())
                stack.enter_context(super().optim_context(model))
                yield
        finally:
            handle.remove()

    # -- both passes ----------------------------------------------------------
    def _grad_scale(self) -> float:
        """The factor the gradients carry (the AMP loss scale; 1 here)."""
        return 1.0

    def _trainable(self) -> List[torch.Tensor]:
        return [
            p for group in self.optimizer.param_groups
            for p in group['params'] if p.requires_grad
        ]

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Backward of ``loss`` (at :math:`w`, local under DDP), ascend to
        :math:`w + \\hat\\epsilon`, forward and backward the same batch
        there (all-reduced under DDP), restore :math:`w`, clip and step."""
        model, calls = self._model, self._calls
        self._model, self._calls = None, []
        if model is None or len(calls) != 1:
            raise RuntimeError(
                f'{type(self).__name__}.update_params needs exactly one '
                'model call recorded inside optim_context(model) (as '
                'BaseModel.train_step and MMDistributedDataParallel.'
                f'train_step make it), got {len(calls)}; SAM re-runs that '
                'call at the perturbed weights')
        args, kwargs = calls[0]
        # first pass: local gradient at w
        self.backward(self.scale_loss(loss))
        params = [p for p in self._trainable() if p.grad is not None]
        scale = self._grad_scale()
        grads = [p.grad.detach() / scale for p in params]
        finite = all(torch.isfinite(g).all() for g in grads)
        if finite:
            eps = sam_perturbation(
                [p.detach() for p in params], grads, self.rho,
                self.adaptive, self.eta)
            grad_norm = torch.norm(
                torch.stack([g.float().norm(2) for g in grads]), 2)
            self.message_hub.update_scalar('train/sam_grad_norm',
                                           float(grad_norm))
        else:
            # an AMP overflow: no reliable ascent direction; the second
            # pass is then a plain step (GradScaler skips it if it also
            # overflows)
            eps = [torch.zeros_like(p) for p in params]
        saved = [p.detach().clone() for p in params]
        with torch.no_grad():
            for p, e in zip(params, eps):
                p.add_(e)
        self.optimizer.zero_grad(set_to_none=True)
        # second pass: the same batch at w + eps, all-reduced under DDP
        base = model.module if is_model_wrapper(model) else model
        with _frozen_bn_stats(model), super().optim_context(model):
            losses = model(*args, **kwargs)
        parsed, _ = base.parse_losses(losses)
        self.backward(self.scale_loss(parsed))
        self._inner_count -= 1  # one optimisation step, two backward passes
        with torch.no_grad():
            for p, w in zip(params, saved):
                p.copy_(w)
        if self.should_update():
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))


@OPTIM_WRAPPERS.register_module()
class AmpSAMOptimWrapper(SAMOptimWrapper, AmpOptimWrapper):
    """:class:`SAMOptimWrapper` with automatic mixed precision (MMEngine's
    :class:`~mmengine.optim.AmpOptimWrapper`: autocast in both forwards,
    the loss scaler in both backwards).

    The perturbation is computed from the first pass's gradients divided by
    the loss scale (the scaler's own ``unscale_`` is kept for the second
    pass, whose gradients the optimizer steps with; it may run once per
    step). An overflow in the first pass skips the perturbation. Needs CUDA
    (or another device AmpOptimWrapper accepts).

    Args:
        optimizer: The wrapped optimizer.
        rho, adaptive, eta: As :class:`SAMOptimWrapper`.
        **kwargs: ``loss_scale``, ``dtype``, ``clip_grad``, ... of
            AmpOptimWrapper.
    """

    def _grad_scale(self) -> float:
        return float(self.loss_scaler.get_scale())
