"""CAM-based sampling: pure functions (numpy, deterministic given a seed).

Zhang et al., "Bag of Tricks for Long-Tailed Visual Recognition with Deep
Convolutional Neural Networks", AAAI 2021, CAM-based sampling: the images
that class-balanced re-sampling would duplicate are replaced by new ones.
For each, the class activation map (CAM) of its true class, computed by the
model of the first stage (see :mod:`mmlt.cam.activation_maps`), separates foreground
from background; the background is kept and the foreground transformed by
one of horizontal flip, translation, or rotation with scaling (one of the
three at random per image in the official code,
``lib/utils/cam_based_sampling.py`` of zhangyongshun/BagofTricks-LT).

Steps, one function each:

1. :func:`generation_counts`: images to generate per class, so that every
   class reaches the same count (or, with another strategy of
   :mod:`mmlt.datasets.samplers.sampling_probs`, its share);
2. :func:`draw_sources`: which images: uniform within the class, with
   replacement, as :class:`~mmlt.datasets.samplers.RebalancedSampler`'s
   class-balanced draw picks a member of a class;
3. :func:`foreground_mask`: the CAM normalised to [0, 1]; foreground where it
   is at least ``mean_ratio`` times its mean (official code: 3/4 of the
   mean);
4. :func:`sample_transform` and :func:`apply_transform`: the random
   transform and the warp of the image and of the mask;
5. :func:`composite`: the transformed image where the foreground was or is
   now (the union of the two masks, as in the official code), the original
   pixels everywhere else.

:func:`cam_augment` runs 3-5 on one image.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from mmlt.datasets.samplers.sampling_probs import class_probabilities

__all__ = [
    'FOREGROUND_TRANSFORMS', 'ROTATION_RANGE', 'SCALE_RANGE', 'TARGETS',
    'generation_counts', 'draw_sources', 'foreground_mask',
    'sample_transform', 'apply_transform', 'composite', 'cam_augment'
]

#: Foreground transforms of the paper; ``'random'`` picks one per image.
FOREGROUND_TRANSFORMS = ('flip', 'translate', 'rotate_scale')
#: Rotation in degrees and scale factor of ``'rotate_scale'`` (official
#: code: ``randint(-45, 45)`` degrees and ``randint(80, 120) / 100``).
ROTATION_RANGE = (-45.0, 45.0)
SCALE_RANGE = (0.8, 1.2)
#: Named per-class targets of :func:`generation_counts`.
TARGETS = ('max', 'max_plus_min')


def generation_counts(class_counts: Sequence[int],
                      target: Union[str, int] = 'max_plus_min',
                      max_per_class: Optional[int] = None,
                      strategy: str = 'class_balanced',
                      q: Optional[float] = None,
                      classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """Images to generate per class.

    The class with the largest sampling probability ``p_c`` (all classes
    under class-balanced sampling) is brought to ``T`` images and every
    class c to ``round(T · p_c / max p)``; a class already above its share
    gets none. ``T`` is

    * ``'max_plus_min'``: ``n_max + n_min``, the official code's
      ``num_absent = max(num_list) + min(num_list) - num`` (every class,
      the head included, gets new images);
    * ``'max'``: ``n_max`` (only what re-sampling to the head class's count
      would duplicate);
    * an int.

    Args:
        class_counts: Training images per class (every class needs one).
        target: See above.
        max_per_class: Cap on the generated images of a class (the official
            ImageNet-LT setting caps at 100); None: no cap (its CIFAR
            setting).
        strategy: A class strategy of
            :func:`~mmlt.datasets.samplers.sampling_probs.class_probabilities`
            without a schedule (``'class_balanced'``: CAM-based
            balance-sampling; ``'sqrt'``: square-sampling; ``'power'``).
        q: Exponent of ``'power'``.
        classes: Class names, for error messages.

    Returns:
        np.ndarray: int64 counts, one per class.
    """
    counts = np.asarray(class_counts, dtype=np.int64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f'class_counts must be a non-empty 1-d sequence, '
                         f'got {class_counts!r}')
    if strategy in ('progressive', 'dynamic'):
        raise ValueError(f'strategy={strategy!r} changes every epoch; CAM-'
                         'based sampling generates one fixed set')
    probs = class_probabilities(counts, strategy, q, classes=classes)
    if (counts == 0).any():
        empty = np.flatnonzero(counts == 0).tolist()
        raise ValueError(f'class(es) {empty} have no image: there is '
                         'nothing to generate new images from')
    if isinstance(target, str):
        if target not in TARGETS:
            raise ValueError(f'target={target!r} is not one of {TARGETS} '
                             'or a positive int')
        top = int(counts.max()) + (int(counts.min())
                                   if target == 'max_plus_min' else 0)
    elif isinstance(target, (int, np.integer)) and not isinstance(
            target, bool) and target > 0:
        top = int(target)
    else:
        raise ValueError(f'target={target!r} is not one of {TARGETS} or a '
                         'positive int')
    if max_per_class is not None and (
            isinstance(max_per_class, bool)
            or not isinstance(max_per_class, (int, np.integer))
            or max_per_class < 0):
        raise ValueError(f'max_per_class={max_per_class!r} must be None or '
                         'an int >= 0')
    share = np.rint(top * probs / probs.max()).astype(np.int64)
    generated = np.maximum(share - counts, 0)
    if max_per_class is not None:
        generated = np.minimum(generated, int(max_per_class))
    return generated


def draw_sources(labels: Sequence[int], generated: Sequence[int],
                 seed: int) -> np.ndarray:
    """Indices of the images to generate from: ``generated[c]`` draws,
    uniform with replacement, among the images of class c; grouped by class
    in class order. Deterministic given ``seed``."""
    labels = np.asarray(labels, dtype=np.int64)
    generated = np.asarray(generated, dtype=np.int64)
    rng = np.random.default_rng(seed)
    parts = []
    for c, n in enumerate(generated):
        if n <= 0:
            continue
        pool = np.flatnonzero(labels == c)
        if pool.size == 0:
            raise ValueError(f'class {c} has no image to generate {n} new '
                             'images from')
        parts.append(rng.choice(pool, size=int(n), replace=True))
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def foreground_mask(cam: np.ndarray, mean_ratio: float = 0.75) -> np.ndarray:
    """Foreground of a class activation map.

    The map is normalised to [0, 1] (``(M - min) / (max - min)``); the
    foreground is where it is at least ``mean_ratio`` times its mean
    (official code: ``np.mean(cam) * 3 / 4``). A flat map (no spatial
    information, e.g. from a 1x1 feature map) is all foreground.

    Returns:
        np.ndarray: bool mask of the map's shape.
    """
    cam = np.asarray(cam, dtype=np.float64)
    if cam.ndim != 2:
        raise ValueError(f'cam must be a 2-d map, got shape {cam.shape}')
    if not np.isfinite(cam).all():
        raise ValueError('cam has NaN or infinite values')
    if not np.isfinite(mean_ratio) or mean_ratio < 0:
        raise ValueError(f'mean_ratio={mean_ratio!r} must be a finite '
                         'number >= 0')
    low, high = cam.min(), cam.max()
    if high <= low:
        return np.ones(cam.shape, dtype=bool)
    norm = (cam - low) / (high - low)
    return norm >= mean_ratio * norm.mean()


def _bbox(mask: np.ndarray) -> Optional[Tuple[int, int, int, int]]:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def sample_transform(kind: str, mask: np.ndarray,
                     rng: np.random.Generator) -> dict:
    """Random parameters of a foreground transform.

    Args:
        kind: ``'flip'`` (horizontal), ``'translate'`` (a shift that keeps
            the foreground's bounding box inside the image), ``'rotate_scale'``
            (angle in :data:`ROTATION_RANGE`, scale in :data:`SCALE_RANGE`,
            about the centre of the foreground's bounding box) or
            ``'random'`` (one of the three, uniformly; not ``'translate'``
            when the foreground's box spans the whole image, where the only
            shift that keeps it inside is none, as for Fashion-MNIST's
            frame-filling objects).
        mask: The foreground mask.
        rng: The generator (seeded by the caller).

    Returns:
        dict: ``kind`` plus its parameters (``dx``, ``dy`` in pixels;
        ``angle`` in degrees, ``scale``, ``center`` as (x, y)).
    """
    height, width = mask.shape[:2]
    box = _bbox(mask)
    if kind == 'random':
        spans = box is None or box == (0, 0, width - 1, height - 1)
        kinds = [
            k for k in FOREGROUND_TRANSFORMS
            if not (spans and k == 'translate')
        ]
        kind = kinds[int(rng.integers(len(kinds)))]
    if kind not in FOREGROUND_TRANSFORMS:
        raise ValueError(f'transform={kind!r} is not one of '
                         f'{FOREGROUND_TRANSFORMS + ("random", )}')
    if kind == 'flip':
        return dict(kind=kind)
    if kind == 'translate':
        if box is None:
            return dict(kind=kind, dx=0, dy=0)
        x0, y0, x1, y1 = box
        dx = int(rng.integers(-x0, width - 1 - x1, endpoint=True))
        dy = int(rng.integers(-y0, height - 1 - y1, endpoint=True))
        return dict(kind=kind, dx=dx, dy=dy)
    x0, y0, x1, y1 = box if box is not None else (0, 0, width - 1,
                                                  height - 1)
    return dict(
        kind=kind,
        angle=float(rng.uniform(*ROTATION_RANGE)),
        scale=float(rng.uniform(*SCALE_RANGE)),
        center=((x0 + x1) / 2.0, (y0 + y1) / 2.0))


def _shift(array: np.ndarray, dx: int, dy: int) -> np.ndarray:
    out = np.zeros_like(array)
    height, width = array.shape[:2]
    if abs(dx) >= width or abs(dy) >= height:
        return out
    src_y = slice(max(0, -dy), min(height, height - dy))
    dst_y = slice(max(0, dy), min(height, height + dy))
    src_x = slice(max(0, -dx), min(width, width - dx))
    dst_x = slice(max(0, dx), min(width, width + dx))
    out[dst_y, dst_x] = array[src_y, src_x]
    return out


def apply_transform(array: np.ndarray, params: dict,
                    nearest: bool = False) -> np.ndarray:
    """Warp an image (``(H, W)`` or ``(H, W, C)``) or a mask.

    Flip and translation move whole pixels (exact, uncovered pixels are
    0); rotation with scaling is an affine warp (bilinear, or nearest for
    masks with ``nearest=True``) with a zero border.
    """
    kind = params['kind']
    if kind == 'flip':
        return np.ascontiguousarray(array[:, ::-1])
    if kind == 'translate':
        return _shift(array, int(params['dx']), int(params['dy']))
    if kind != 'rotate_scale':
        raise ValueError(f'transform kind={kind!r} is not one of '
                         f'{FOREGROUND_TRANSFORMS}')
    import cv2
    height, width = array.shape[:2]
    matrix = cv2.getRotationMatrix2D(
        tuple(float(c) for c in params['center']), float(params['angle']),
        float(params['scale']))
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    is_bool = array.dtype == bool
    src = array.astype(np.uint8) if is_bool else array
    out = cv2.warpAffine(src, matrix, (width, height), flags=flags,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    out = out.reshape(array.shape)  # cv2 drops a trailing channel of 1
    return out.astype(bool) if is_bool else out


def composite(original: np.ndarray, transformed: np.ndarray,
              region: np.ndarray) -> np.ndarray:
    """``transformed`` inside ``region`` (an ``(H, W)`` bool mask),
    ``original`` (bit for bit) outside."""
    if original.shape != transformed.shape or \
            region.shape != original.shape[:2]:
        raise ValueError(f'shapes differ: original {original.shape}, '
                         f'transformed {transformed.shape}, region '
                         f'{region.shape}')
    where = region if original.ndim == 2 else region[..., None]
    return np.where(where, transformed, original).astype(original.dtype)


def cam_augment(image: np.ndarray, cam: np.ndarray, kind: str,
                rng: np.random.Generator,
                mean_ratio: float = 0.75) -> Tuple[np.ndarray, dict]:
    """A new image: background kept, CAM foreground transformed.

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` image.
        cam: ``(H, W)`` class activation map of the image's class, already
            at the image's resolution.
        kind: A transform of :data:`FOREGROUND_TRANSFORMS` or ``'random'``.
        rng: The generator of this image.
        mean_ratio: Foreground threshold (see :func:`foreground_mask`).

    Returns:
        tuple: the new image (same shape and dtype) and the transform's
        parameters.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3) or tuple(cam.shape) != image.shape[:2]:
        raise ValueError(f'cam of shape {tuple(cam.shape)} does not match '
                         f'an image of shape {image.shape}')
    mask = foreground_mask(cam, mean_ratio)
    params = sample_transform(kind, mask, rng)
    moved = apply_transform(image, params)
    moved_mask = apply_transform(mask, params, nearest=True)
    return composite(image, moved, mask | moved_mask), params
