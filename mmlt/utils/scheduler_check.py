"""Refuse a schedule that is not longer than its warm-up, naming both.

MMEngine builds every parameter scheduler before any hook runs; a config
whose ``train_cfg.max_epochs`` is not past the end of its warm-up (e.g.
``max_epochs=1`` with a one-epoch ``LinearLR`` warm-up followed by a cosine
from epoch 1) stops there with "end should be larger than begin, but got
begin=1, end=1", deep inside ``PARAM_SCHEDULERS.build``. The patched
``Runner._build_param_scheduler`` checks the scheduler configs against the
train loop's length first, with a message that names ``max_epochs`` (or
``max_iters``) and the schedulers.
"""
import functools
from numbers import Real
from typing import Any, Callable, Mapping, Optional, Sequence

__all__ = ['check_param_schedulers', 'patch_build_param_scheduler']

_MARK = '__mmlt_scheduler_check_patched__'


def _describe(cfg: Mapping, index: int) -> str:
    return f'param_scheduler[{index}] ({cfg.get("type", "?")})'


def check_param_schedulers(schedulers: Sequence[Any],
                           max_epochs: Optional[int],
                           max_iters: Optional[int]) -> None:
    """Raise ``ValueError`` if a scheduler config starts at or after its end
    (the default end being the train loop's length).

    Args:
        schedulers: The ``param_scheduler`` list (built schedulers in it are
            skipped).
        max_epochs: ``train_cfg.max_epochs`` of an epoch-based loop, or None.
        max_iters: ``train_cfg.max_iters`` of an iteration-based loop, or
            None.
    """
    if isinstance(schedulers, Mapping):
        schedulers = [schedulers]
    configs = [(i, s) for i, s in enumerate(schedulers)
               if isinstance(s, Mapping)]
    for index, cfg in configs:
        by_epoch = cfg.get('by_epoch', True)
        length, unit, key = ((max_epochs, 'epoch', 'max_epochs') if by_epoch
                             else (max_iters, 'iteration', 'max_iters'))
        begin = cfg.get('begin', 0)
        end = cfg.get('end', length)
        if not isinstance(begin, Real) or not isinstance(end, Real):
            continue
        if begin < end:
            continue
        earlier = [f'{_describe(c, i)} over {unit}s '
                   f'{c.get("begin", 0)}-{c.get("end", length)}'
                   for i, c in configs
                   if i < index and c.get('by_epoch', True) == by_epoch]
        default = '' if 'end' in cfg else f' (its end defaults to {key})'
        raise ValueError(
            f'{_describe(cfg, index)} starts at {unit} {begin} but ends at '
            f'{end}{default}: train_cfg.{key}={length} leaves it no '
            f'{unit}' + (f' after the warm-up ({"; ".join(earlier)})'
                         if earlier else '') +
            f'. Train for more than {begin} {unit}s, or shorten the '
            'warm-up (its end and the begin of the scheduler after it).')


def patch_build_param_scheduler() -> None:
    """Check the configs before MMEngine's ``Runner`` builds them
    (idempotent; the ``FlexibleRunner`` builds schedulers through a
    strategy and is left as it is)."""
    from mmengine.runner import Runner
    from mmengine.runner.base_loop import BaseLoop
    for cls in (Runner, ):
        original: Callable = cls._build_param_scheduler
        if getattr(original, _MARK, False):
            continue

        @functools.wraps(original)
        def _build_param_scheduler(self: Any, scheduler: Any,
                                   *args: Any,
                                   _original: Callable = original,
                                   **kwargs: Any) -> Any:
            loop = getattr(self, '_train_loop', None)
            if isinstance(loop, BaseLoop):
                check_param_schedulers(
                    scheduler if isinstance(scheduler, Sequence) else
                    [scheduler], getattr(loop, 'max_epochs', None),
                    getattr(loop, 'max_iters', None))
            return _original(self, scheduler, *args, **kwargs)

        setattr(_build_param_scheduler, _MARK, True)
        cls._build_param_scheduler = _build_param_scheduler
