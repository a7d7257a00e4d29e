"""Keep the model's weights channels-last (NHWC) in memory.

On CPUs, PyTorch's oneDNN convolutions run faster on channels-last tensors:
a training step of EfficientNet-Lite0 (batch 64, 80x60 images, one thread)
took 1.62 s with the default (NCHW) layout and 1.18 s channels-last on the
machine of docs/benchmarks.md. A convolution whose weight is channels-last
computes channels-last whatever the input's layout, so converting the
model's parameters and buffers once is enough; the numbers are those of the
same model up to floating-point summation order, and checkpoints load into
either layout.
"""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS

__all__ = ['ChannelsLastHook']


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert ``runner.model`` to ``torch.channels_last`` before the run
    (training, validation or test), before its weights are initialised or
    loaded (loading copies into the converted tensors, keeping the layout).

    A model already wrapped for distributed training (MMEngine wraps it
    when the runner is built, before any hook runs) is left as it is, with a
    WARNING: DistributedDataParallel has bucketed its gradients by the
    parameters' layout at construction. Channels-last pays on CPU; on GPU
    under AMP it can pay too, but that is not measured here.
    """
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        if is_model_wrapper(runner.model):
            runner.logger.warning(
                'ChannelsLastHook: the model is wrapped by '
                f'{type(runner.model).__name__} (distributed training), '
                'whose gradient buckets were laid out when it was built; '
                'the weights stay in their layout (remove the hook, '
                'default_hooks.channels_last=None, to silence this)')
            return
        runner.model.to(memory_format=torch.channels_last)
