"""MaxNorm on the classifier's per-class weights, by projected gradient
descent: weight balancing's second stage (Alshammari et al., CVPR 2022)."""
from typing import Optional

import torch
from mmengine.model import is_model_wrapper
from torch import nn

from mmlt.registry import HOOKS
from .classifier_retrain_hook import default_trainable
from .single_instance_hook import SingleInstanceHook

__all__ = ['MaxNormHook', 'max_norm_threshold', 'project_max_norm_']

_CHECKPOINT_KEY = 'max_norm_threshold'


def _row_norms(weight: torch.Tensor) -> torch.Tensor:
    if weight.dim() < 2:
        raise ValueError(
            f'MaxNorm needs a weight with one row per class (2-D or more); '
            f'got shape {tuple(weight.shape)}')
    return torch.linalg.vector_norm(weight.reshape(weight.shape[0], -1),
                                    ord=2, dim=1)


def max_norm_threshold(weight: torch.Tensor, thresh: float) -> float:
    """The norm radius ``min + thresh * (max - min)`` of the per-class (row)
    L2 norms of ``weight``: the official code's per-layer threshold, set
    once from the weights the stage starts from (``thresh`` 0: the smallest
    class norm, 1: the largest, so nothing is capped)."""
    if isinstance(thresh, bool) or not isinstance(thresh, (int, float)) \
            or not 0.0 <= float(thresh) <= 1.0:
        raise ValueError(f'thresh={thresh!r} must be a number in [0, 1]: '
                         'the radius as a fraction of the way from the '
                         'smallest to the largest per-class weight norm')
    norms = _row_norms(weight.detach())
    low, high = norms.min().item(), norms.max().item()
    return low + float(thresh) * (high - low)


@torch.no_grad()
def project_max_norm_(weight: torch.Tensor, radius: float) -> int:
    """Scale, in place, every row of ``weight`` whose L2 norm exceeds
    ``radius`` down onto the ball of that radius (the projection step of
    projected gradient descent); rows inside the ball are left as they
    are. Returns how many rows were scaled."""
    if not radius > 0:
        raise ValueError(f'radius={radius!r} must be > 0')
    norms = _row_norms(weight)
    over = norms > radius
    if over.any():
        scale = torch.ones_like(norms)
        scale[over] = radius / norms[over]
        weight.mul_(scale.view(-1, *([1] * (weight.dim() - 1))))
    return int(over.sum().item())


@HOOKS.register_module()
class MaxNormHook(SingleInstanceHook):
    """Keep every class's classifier weight vector inside an L2 ball.

    Weight balancing (Alshammari et al., "Long-Tailed Recognition via
    Weight Balancing", CVPR 2022) trains its second stage (the classifier
    alone, a class-balanced loss, a large weight decay) under a MaxNorm
    constraint: after every optimizer step the rows of the classifier's
    weight (one per class) whose L2 norm exceeds a radius are scaled back
    onto it, by projected gradient descent. Weight decay shrinks the large
    (head-class) norms, the cap stops them from growing back, while the
    small (tail-class) norms may still grow up to the radius. As in the
    official code, the radius is set once, when training starts, from the
    weights the stage starts from: ``min + thresh * (max - min)`` of their
    per-class norms (:func:`max_norm_threshold`); the bias is not
    constrained. The radius is kept in the checkpoint, so a resumed run
    keeps the one its start set (the norms it would see then have already
    been capped).

    Args:
        module: Name of the classifier layer whose ``weight`` is capped,
            relative to the model without a DDP ``module.`` prefix.
            Default: the head's classifier layer (``head.fc``).
        thresh: The radius as a fraction of the way from the smallest to
            the largest per-class norm, in [0, 1]. Default 0.1, the
            paper's.
    """

    default_hooks_key = 'max_norm'
    # after the optimizer step (taken inside the iteration) and before
    # logging and checkpointing read the weights
    priority = 'ABOVE_NORMAL'

    def __init__(self, module: Optional[str] = None,
                 thresh: float = 0.1) -> None:
        if module is not None and (not isinstance(module, str)
                                   or not module):
            raise ValueError(f'module={module!r} must be the name of the '
                             "classifier layer, e.g. 'head.fc'")
        max_norm_threshold(torch.ones(1, 1), thresh)  # checks thresh
        self.module = module
        self.thresh = float(thresh)
        self.radius: Optional[float] = None
        # the capped weight, found once when training starts
        self._capped: Optional[torch.Tensor] = None

    def _weight(self, runner) -> nn.Parameter:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        name = self.module or default_trainable(model)[0]
        try:
            layer = model.get_submodule(name)
        except AttributeError:
            raise ValueError(
                f'{type(self).__name__}: the model has no module {name!r}; '
                'modules with a weight: ' + ', '.join(
                    n for n, m in model.named_modules()
                    if isinstance(getattr(m, 'weight', None), torch.Tensor)))
        weight = getattr(layer, 'weight', None)
        if not isinstance(weight, torch.Tensor):
            raise ValueError(f'{type(self).__name__}: module {name!r} '
                             f'({type(layer).__name__}) has no weight')
        return weight

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        radius = checkpoint.get('meta', {}).get(_CHECKPOINT_KEY)
        if radius is not None:
            self.radius = float(radius)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.radius is not None:
            checkpoint.setdefault('meta', {})[_CHECKPOINT_KEY] = self.radius

    def before_train(self, runner) -> None:
        weight = self._capped = self._weight(runner)
        if self.radius is None or runner.iter == 0:
            self.radius = max_norm_threshold(weight, self.thresh)
        capped = project_max_norm_(weight.data, self.radius)
        runner.logger.info(
            f'{type(self).__name__}: per-class weight norms capped at '
            f'{self.radius:.4f} (thresh {self.thresh}); {capped} of '
            f'{weight.shape[0]} classes scaled onto it')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        project_max_norm_(self._capped.data, self.radius)
