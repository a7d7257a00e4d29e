"""The preprocessing of an exported model, as data: a small JSON beside it.

A config's test pipeline (after its loading step) and the model's
``ClsDataPreprocessor`` are turned into a list of steps that numpy and
OpenCV reproduce exactly, so an exported model runs without mmlt or
MMPretrain. The JSON (``preprocess.json``, format version 1) holds:

* ``input``: the loaded image the steps start from: an ``H x W x C`` uint8
  array, for 3 channels in **BGR** order, as OpenCV's ``cv2.imread`` (and
  MMCV's ``LoadImageFromFile``) give it; for 1 channel grey levels
  (``H x W`` or ``H x W x 1``);
* ``steps``: in order, each one of

  - ``{"type": "resize", "size": [w, h], "interpolation": ...}``: resize to
    exactly ``w x h`` (MMCV's ``Resize`` with ``keep_ratio=False``);
  - ``{"type": "resize_edge", "scale": s, "edge": "short"|"long"|"width"|
    "height", "interpolation": ...}``: MMPretrain's ``ResizeEdge``: the
    chosen edge becomes ``s`` and the other ``int(s * other / edge)``;
  - ``{"type": "center_crop", "size": [w, h]}``: MMCV's ``CenterCrop``
    (``x1 = round((W - w) / 2)``, likewise ``y1``; clipped to the image);

  ``interpolation`` names OpenCV's flag as MMCV maps it (``nearest``:
  ``INTER_NEAREST``, ``bilinear``: ``INTER_LINEAR``, ``bicubic``:
  ``INTER_CUBIC``, ``area``: ``INTER_AREA``, ``lanczos``:
  ``INTER_LANCZOS4``);
* ``to_rgb``: reverse the channel order (BGR to RGB) after the steps;
* ``mean`` / ``std``: per channel, applied as ``(x - mean) / std`` on
  float32 values after ``to_rgb``; ``null`` when the model does not
  normalise;
* ``layout``: ``"NCHW"``: the ``H x W x C`` result is transposed to
  ``C x H x W`` and stacked into a float32 batch;
* ``input_name``, ``output_name``: the ONNX graph's tensors (the output
  holds softmax class probabilities), ``input_shape`` ``[C, H, W]``,
  ``classes``: the class names in label order.

A test pipeline step this format cannot express is refused, naming it.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'FORMAT_VERSION', 'LOADING_TRANSFORMS', 'PreprocessError',
    'split_loading', 'pipeline_steps', 'normalisation', 'build_spec',
    'apply_steps', 'preprocess_image', 'preprocess_batch', 'write_spec',
    'read_spec', 'SPEC_FILE'
]

FORMAT_VERSION = 1
SPEC_FILE = 'preprocess.json'
# Steps that read the image from disk: they stay outside the JSON (its
# input is the loaded BGR image).
LOADING_TRANSFORMS = ('LoadImageFromFile', 'StrictLoadImageFromFile')
# MMCV's interpolation names -> OpenCV flags (mmcv/image/geometric.py)
INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}
_EDGES = ('short', 'long', 'width', 'height')


class PreprocessError(ValueError):
    """A test pipeline or data preprocessor the JSON cannot express."""


def _type_name(step: Mapping) -> str:
    kind = step.get('type')
    return kind if isinstance(kind, str) else getattr(kind, '__name__',
                                                      repr(kind))


def split_loading(pipeline: Sequence[Mapping]
                  ) -> Tuple[List[dict], List[dict]]:
    """Split a test pipeline into its loading prefix and the rest.

    The loading prefix (:data:`LOADING_TRANSFORMS`) reads the image; the
    rest is what :func:`pipeline_steps` turns into JSON steps.
    """
    steps = [dict(s) for s in pipeline]
    n = 0
    while n < len(steps) and _type_name(steps[n]) in LOADING_TRANSFORMS:
        n += 1
    return steps[:n], steps[n:]


def _size_pair(value: Any, what: str) -> List[int]:
    """``s`` or ``(w, h)`` (MMCV's order) as ``[w, h]`` of positive ints."""
    pair = [value, value] if isinstance(value, int) else value
    if (not isinstance(pair, (list, tuple)) or len(pair) != 2 or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1
            for v in pair)):
        raise PreprocessError(f'{what} must be a positive int or a (w, h) '
                              f'pair of them, got {value!r}')
    return [int(pair[0]), int(pair[1])]


def _interpolation(step: Mapping, name: str) -> str:
    interp = step.get('interpolation', 'bilinear')
    if interp not in INTERPOLATIONS:
        raise PreprocessError(
            f'{name}: interpolation {interp!r} is not one of '
            f'{sorted(INTERPOLATIONS)}')
    if step.get('backend', 'cv2') != 'cv2':
        raise PreprocessError(
            f'{name}: backend {step.get("backend")!r} cannot be exported; '
            "only 'cv2' is reproduced exactly")
    return interp


def _check_keys(step: Mapping, name: str, allowed: Sequence[str],
                defaults: Mapping[str, Any]) -> None:
    """Refuse keys other than ``allowed``, and non-default values of the
    keys in ``defaults`` (options the JSON does not express)."""
    unknown = sorted(set(step) - {'type'} - set(allowed) - set(defaults))
    if unknown:
        raise PreprocessError(f'{name}: option(s) {unknown} cannot be '
                              'exported')
    for key, default in defaults.items():
        if key in step and step[key] != default:
            raise PreprocessError(
                f'{name}: {key}={step[key]!r} cannot be exported (only '
                f'{default!r})')


def pipeline_steps(pipeline: Sequence[Mapping]) -> List[dict]:
    """The JSON steps of a test pipeline that has no loading step left.

    Supported: MMCV's ``Resize`` (``scale``, ``keep_ratio=False``),
    MMPretrain's ``ResizeEdge``, MMCV's ``CenterCrop`` (``auto_pad=False``)
    and MMPretrain's ``PackInputs`` (the final HWC -> CHW).

    Raises:
        PreprocessError: Naming the first step that cannot be expressed.
    """
    steps: List[dict] = []
    for i, step in enumerate(pipeline):
        kind = _type_name(step)
        name = f'test pipeline step {i} ({kind})'
        if kind == 'Resize':
            _check_keys(step, name, ('scale', 'interpolation', 'backend'),
                        dict(keep_ratio=False, scale_factor=None,
                             clip_object_border=True))
            if step.get('scale') is None:
                raise PreprocessError(f'{name}: needs scale (scale_factor '
                                      'cannot be exported)')
            steps.append(
                dict(type='resize',
                     size=_size_pair(step['scale'], f'{name}: scale'),
                     interpolation=_interpolation(step, name)))
        elif kind == 'ResizeEdge':
            _check_keys(step, name, ('scale', 'edge', 'interpolation',
                                     'backend'), {})
            scale = step.get('scale')
            if isinstance(scale, bool) or not isinstance(scale,
                                                         int) or scale < 1:
                raise PreprocessError(f'{name}: scale must be a positive '
                                      f'int, got {scale!r}')
            edge = step.get('edge', 'short')
            if edge not in _EDGES:
                raise PreprocessError(f'{name}: edge {edge!r} is not one of '
                                      f'{_EDGES}')
            steps.append(
                dict(type='resize_edge', scale=scale, edge=edge,
                     interpolation=_interpolation(step, name)))
        elif kind == 'CenterCrop':
            _check_keys(step, name, ('crop_size', ), dict(auto_pad=False))
            steps.append(
                dict(type='center_crop',
                     size=_size_pair(step.get('crop_size'),
                                     f'{name}: crop_size')))
        elif kind == 'PackInputs':
            if i != len(pipeline) - 1:
                raise PreprocessError(f'{name} must be the last step')
        else:
            raise PreprocessError(
                f'{name} cannot be exported: the preprocessing JSON '
                'expresses Resize, ResizeEdge, CenterCrop and PackInputs '
                f'after {"/".join(LOADING_TRANSFORMS)}')
    if not pipeline or _type_name(pipeline[-1]) != 'PackInputs':
        raise PreprocessError('the test pipeline must end with PackInputs')
    return steps


def normalisation(data_preprocessor: Any) -> Dict[str, Any]:
    """``to_rgb``, ``mean`` and ``std`` of a built ``ClsDataPreprocessor``.

    Raises:
        PreprocessError: For another preprocessor type, or padding
            (``pad_size_divisor`` > 1).
    """
    kind = type(data_preprocessor).__name__
    if kind != 'ClsDataPreprocessor':
        raise PreprocessError(f'data preprocessor {kind} cannot be exported '
                              '(only ClsDataPreprocessor)')
    if getattr(data_preprocessor, 'pad_size_divisor', 1) > 1:
        raise PreprocessError(
            'data preprocessor: pad_size_divisor='
            f'{data_preprocessor.pad_size_divisor} cannot be exported')
    mean = std = None
    if getattr(data_preprocessor, '_enable_normalize', False):
        mean = data_preprocessor.mean.detach().cpu().reshape(-1).tolist()
        std = data_preprocessor.std.detach().cpu().reshape(-1).tolist()
    return dict(to_rgb=bool(data_preprocessor.to_rgb), mean=mean, std=std)


def build_spec(pipeline: Sequence[Mapping], data_preprocessor: Any,
               input_shape: Sequence[int], classes: Sequence[str],
               input_name: str = 'inputs',
               output_name: str = 'scores') -> Dict[str, Any]:
    """The whole JSON spec (see the module docstring).

    Args:
        pipeline: The test pipeline after its loading prefix.
        data_preprocessor: The model's built data preprocessor.
        input_shape: ``[C, H, W]`` of one preprocessed image.
        classes: Class names in label order.
    """
    norm = normalisation(data_preprocessor)
    channels = int(input_shape[0])
    for key in ('mean', 'std'):
        if norm[key] is not None and len(norm[key]) != channels:
            raise PreprocessError(f'data preprocessor {key} has '
                                  f'{len(norm[key])} values for {channels} '
                                  'channels')
    return dict(
        format_version=FORMAT_VERSION,
        input=dict(channels=channels,
                   order='BGR' if channels == 3 else 'grey',
                   dtype='uint8', layout='HWC'),
        steps=pipeline_steps(pipeline),
        to_rgb=norm['to_rgb'],
        mean=norm['mean'],
        std=norm['std'],
        layout='NCHW',
        input_shape=[int(v) for v in input_shape],
        input_name=input_name,
        output_name=output_name,
        classes=[str(c) for c in classes],
    )


# ----------------------------------------------------------- applying it
def _resize(img: np.ndarray, size: Sequence[int], interp: str) -> np.ndarray:
    out = cv2.resize(img, (int(size[0]), int(size[1])),
                     interpolation=INTERPOLATIONS[interp])
    # OpenCV drops a trailing channel axis of size 1
    return out[..., None] if img.ndim == 3 and out.ndim == 2 else out


def apply_steps(img: np.ndarray, steps: Sequence[Mapping]) -> np.ndarray:
    """Run the JSON steps on one ``H x W x C`` image (no normalisation)."""
    for step in steps:
        kind = step['type']
        if kind == 'resize':
            img = _resize(img, step['size'], step['interpolation'])
        elif kind == 'resize_edge':
            h, w = img.shape[:2]
            s, edge = step['scale'], step['edge']
            if (edge == 'short' and w < h) or (edge == 'long' and w > h) \
                    or edge == 'width':
                size = (s, int(s * h / w))
            else:
                size = (int(s * w / h), s)
            img = _resize(img, size, step['interpolation'])
        elif kind == 'center_crop':
            h, w = img.shape[:2]
            cw, ch = min(step['size'][0], w), min(step['size'][1], h)
            y1 = max(0, int(round((h - ch) / 2.)))
            x1 = max(0, int(round((w - cw) / 2.)))
            img = img[y1:min(h, y1 + ch), x1:min(w, x1 + cw)]
        else:
            raise PreprocessError(f'unknown preprocessing step {kind!r}')
    return img


def preprocess_image(img: np.ndarray, spec: Mapping) -> np.ndarray:
    """One loaded BGR ``H x W x 3`` image -> the model's ``C x H x W``
    float32 input."""
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
        raise ValueError('an image must be an H x W (x C) numpy array, got '
                         f'{type(img).__name__} of shape '
                         f'{getattr(img, "shape", None)}')
    if img.ndim == 2:
        img = img[..., None]
    img = apply_steps(img, spec['steps'])
    x = np.ascontiguousarray(img.transpose(2, 0, 1))
    if spec['to_rgb'] and x.shape[0] == 3:
        x = x[::-1]
    x = x.astype(np.float32)
    if spec['mean'] is not None:
        mean = np.asarray(spec['mean'], np.float32).reshape(-1, 1, 1)
        std = np.asarray(spec['std'], np.float32).reshape(-1, 1, 1)
        x = (x - mean) / std
    expected = tuple(spec['input_shape'])
    if x.shape != expected:
        raise ValueError(f'the preprocessed image has shape {x.shape}, the '
                         f'model takes {expected}')
    return np.ascontiguousarray(x, dtype=np.float32)


def preprocess_batch(images: Sequence[np.ndarray],
                     spec: Mapping) -> np.ndarray:
    """Several loaded images -> one ``N x C x H x W`` float32 batch."""
    return np.stack([preprocess_image(img, spec) for img in images])


# ----------------------------------------------------------------- files
def write_spec(spec: Mapping, out_dir: str) -> str:
    """Write ``preprocess.json`` into ``out_dir``; return its path."""
    path = osp.join(out_dir, SPEC_FILE)
    os.makedirs(out_dir, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(spec, f, indent=2)
        f.write('\n')
    return path


def read_spec(path: str) -> Dict[str, Any]:
    """Read and check a ``preprocess.json``.

    Raises:
        FileNotFoundError: Naming the missing file.
        ValueError: If it is not a spec of a known format version.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'preprocessing spec {path} does not exist '
                                '(tools/deployment/export.py writes it beside '
                                'the model)')
    with open(path) as f:
        try:
            spec = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path} is not JSON: {e}') from e
    version = spec.get('format_version') if isinstance(spec, dict) else spec
    if version != FORMAT_VERSION:
        raise ValueError(f'{path}: format_version must be {FORMAT_VERSION}, '
                         f'got {version!r}')
    missing = [
        k for k in ('steps', 'to_rgb', 'mean', 'std', 'input_shape',
                    'input_name', 'output_name', 'classes') if k not in spec
    ]
    if missing:
        raise ValueError(f'{path} lacks the key(s) {missing}')
    return spec
