"""ONNX Runtime sessions for exported models."""
import os.path as osp
from typing import Optional, Sequence

__all__ = ['create_session']


def create_session(path: str,
                   num_threads: Optional[int] = None,
                   providers: Optional[Sequence[str]] = None):
    """An ``onnxruntime.InferenceSession`` on ``path``.

    Args:
        path: The ``.onnx`` file.
        num_threads: Intra-op threads; None takes torch's current count,
            so PyTorch and ONNX Runtime are timed with the same threads.
        providers: Execution providers; default the CPU one.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: For a provider this ONNX Runtime does not have.
    """
    import onnxruntime as ort
    if not isinstance(path, str) or not osp.isfile(path):
        raise FileNotFoundError(f'exported model {path!r} does not exist')
    providers = list(providers or ['CPUExecutionProvider'])
    missing = [p for p in providers if p not in ort.get_available_providers()]
    if missing:
        raise ValueError(f'ONNX Runtime provider(s) {missing} are not '
                         'available here (available: '
                         f'{ort.get_available_providers()})')
    if num_threads is None:
        import torch
        num_threads = torch.get_num_threads()
    if isinstance(num_threads, bool) or not isinstance(
            num_threads, int) or num_threads < 1:
        raise ValueError(f'num_threads must be a positive int, got '
                         f'{num_threads!r}')
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=options,
                                providers=providers)
