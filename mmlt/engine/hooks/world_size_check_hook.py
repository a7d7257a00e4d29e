"""Warn when a run resumes on another number of processes than it saved on.

A distributed sampler (mmengine's ``DefaultSampler``, mmlt's samplers) deals
each epoch's shuffled indices out to the processes by rank, and the total
batch is the per-process ``batch_size`` times the world size. A run resumed
on another world size therefore sees other batches in another order from
there on (and, with the same per-process ``batch_size``, another total
batch), so its weights differ from those an uninterrupted run would reach.
mmengine records no world size in a checkpoint and resumes without a word
(its own check reads the long-gone ``gpu_ids`` config key).
:class:`WorldSizeCheckHook` records the world size in every checkpoint's
``meta`` and logs a WARNING on a resume whose world size differs.
"""
from typing import Any, Optional

from mmlt.registry import HOOKS
from .single_instance_hook import SingleInstanceHook

__all__ = ['WorldSizeCheckHook', 'world_size_change']

META_KEY = 'world_size'  # the key in a checkpoint's ``meta``


def _processes(n: int) -> str:
    return f'{n} process' + ('' if n == 1 else 'es')


def world_size_change(checkpoint: Any, world_size: int) -> Optional[str]:
    """The warning for resuming ``checkpoint`` on ``world_size`` processes,
    or None when the checkpoint was saved on as many, or records no world
    size (a checkpoint saved without this hook, e.g. by an earlier mmlt).

    Args:
        checkpoint: A loaded checkpoint (a dict with ``meta``).
        world_size: The world size of the resuming run.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    saved = meta.get(META_KEY) if isinstance(meta, dict) else None
    if not isinstance(saved, int) or saved == world_size:
        return None
    where = ''
    if 'epoch' in meta and 'iter' in meta:
        where = f' (epoch {meta["epoch"]}, iteration {meta["iter"]})'
    return (
        f'resuming a checkpoint{where} saved by a run on '
        f'{_processes(saved)} (world size {saved}) with '
        f'{_processes(world_size)} (world size {world_size}): the sampler '
        'deals the data out to the processes by rank, so the sample order, '
        'and so the weights, will differ from an uninterrupted run; with the '
        'same per-process batch_size the total batch changes too (world '
        f'size {saved} x batch_size -> {world_size} x batch_size). Resume on '
        f'{_processes(saved)} to keep the sample order.')


@HOOKS.register_module()
class WorldSizeCheckHook(SingleInstanceHook):
    """Record the world size in each checkpoint; warn when a resume differs.

    ``before_save_checkpoint`` writes the runner's world size to
    ``checkpoint['meta']['world_size']`` (mmengine saves on rank 0 only,
    which knows the world size as every rank does). ``after_load_checkpoint``
    runs inside ``Runner.load_checkpoint``; on a resume (``runner._resume``,
    as mmengine's EMAHook tells one apart) whose checkpoint records another
    world size it logs a WARNING naming both (see
    :func:`world_size_change`). A ``load_from`` (fine-tuning, stage 2,
    testing) starts a new schedule and is not checked; neither is a
    checkpoint that records no world size.

    mmlt's configs register it in ``default_hooks`` under
    ``world_size_check``, so MMPretrain's own ``tools/train.py`` runs it too.
    """

    default_hooks_key = 'world_size_check'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[META_KEY] = int(runner.world_size)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not runner._resume:
            return
        message = world_size_change(checkpoint, int(runner.world_size))
        if message is not None:
            runner.logger.warning(message)
