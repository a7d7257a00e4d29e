"""Distributed training on machines without CUDA (gloo).

mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device``
unconditionally and the Runner builds DDP with ``device_ids=[LOCAL_RANK]``;
both fail without CUDA. The Runner only initialises the process group when
none exists yet, and a ``device_ids`` set in ``model_wrapper_cfg`` wins, so
on a CPU-only machine we open a gloo group first and set
``device_ids=None``. On CUDA machines nothing is changed (NCCL as usual).

At the end of a run the tools call :func:`close_distributed`: neither
mmengine's Runner nor the interpreter's exit destroys the process group,
and Gloo's worker threads can then still hold work at interpreter shutdown,
which aborts a rank after its training or test has finished ("terminate
called without an active exception", SIGABRT; PyTorch's documentation asks
for ``destroy_process_group`` at the end of every run).
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict

__all__ = ['prepare_cpu_distributed', 'close_distributed']


def prepare_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Open a gloo process group and adapt ``cfg`` when there is no CUDA.

    Args:
        cfg: The run's config (``model_wrapper_cfg`` and ``env_cfg`` are
            updated in place).
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        bool: True when the CPU path was taken.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise ValueError(f'launcher={launcher!r} on a machine without CUDA: '
                         'only "pytorch" (torchrun) is supported there')
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher pytorch needs the torchrun environment'
                           f' variables {missing}; start with '
                           'tools/dist_train.sh or torchrun')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or ConfigDict(
        type='MMDistributedDataParallel')
    wrapper = ConfigDict(wrapper)
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    env_cfg = cfg.get('env_cfg') or ConfigDict()
    dist_cfg = env_cfg.get('dist_cfg') or ConfigDict()
    dist_cfg['backend'] = 'gloo'
    env_cfg['dist_cfg'] = dist_cfg
    cfg.env_cfg = env_cfg
    return True


def close_distributed() -> None:
    """End the run's process group once every rank has finished.

    A barrier first, so that no rank tears the group down while another is
    still in a collective, then ``destroy_process_group``. Call it after the
    run returns normally (not on an exception: the other ranks may never
    reach the barrier). Nothing happens without an open group (a
    single-process run).
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
