"""Export a :class:`~mmlt.deploy.exportable.ScoresModule` to ONNX."""
import os
import os.path as osp
from typing import Sequence

import torch
from torch import nn

__all__ = ['export_onnx', 'onnx_opset']


def export_onnx(module: nn.Module,
                path: str,
                input_shape: Sequence[int],
                input_name: str = 'inputs',
                output_name: str = 'scores',
                dtype: torch.dtype = torch.float32,
                device: str = 'cpu') -> str:
    """Write ``module`` as one self-contained ONNX file.

    torch's exporter (``torch.onnx.export(..., dynamo=True)``, which needs
    ``onnx`` and ``onnxscript``) at its default opset, the current one for
    the installed torch; the batch axis is dynamic (``batch``), the image
    shape fixed to ``input_shape`` (``[C, H, W]``).

    Args:
        module: Maps an ``(N, C, H, W)`` batch to ``(N, classes)`` scores.
        path: The ``.onnx`` file to write (its folder is created).
        input_shape: ``[C, H, W]``.
        dtype: ``torch.float16`` for a half-precision export (CUDA only).
        device: Where to trace the module (``'cuda'`` for fp16).

    Returns:
        ``path``.
    """
    if len(input_shape) != 3 or any(int(v) < 1 for v in input_shape):
        raise ValueError(f'input_shape must be [C, H, W] of positive ints, '
                         f'got {list(input_shape)}')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    example = torch.zeros(2, *map(int, input_shape), dtype=dtype,
                          device=device)
    module = module.to(device=device, dtype=dtype).eval()
    with torch.no_grad():
        torch.onnx.export(
            module, (example, ),
            path,
            input_names=[input_name],
            output_names=[output_name],
            dynamic_shapes={input_name: {
                0: torch.export.Dim('batch')
            }},
            external_data=False,
            dynamo=True,
            verbose=False)
    return path


def onnx_opset(path: str) -> int:
    """The default-domain opset of an ONNX file."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    return next(int(o.version) for o in model.opset_import
                if o.domain in ('', 'ai.onnx'))
