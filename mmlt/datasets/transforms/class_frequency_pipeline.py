"""Augment tail classes more strongly than the others."""
import logging
from typing import Iterator, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmengine.logging import print_log

from mmlt.registry import TRANSFORMS
from mmlt.structures.long_tail_context import check_counts
from .group_pipeline import PipelineCfg, build_sub_pipeline

__all__ = ['ApplyByClassFrequency', 'iter_transforms']

# OLTR (Liu et al., "Large-Scale Long-Tailed Recognition in an Open World",
# CVPR 2019): few-shot classes have fewer than 20 training images; mmlt's
# LongTailMetric reports its few-shot bin with the same threshold.
FEW_SHOT_THRESHOLD = 20


def iter_transforms(pipeline) -> Iterator[object]:
    """Every transform of a pipeline, nested ones included.

    Descends through anything with a ``transforms`` attribute (mmengine's
    and mmcv's ``Compose``, mmcv's ``RandomApply``/``RandomChoice``/
    ``KeyMapper``, :class:`ApplyByGroup`, :class:`ApplyByClassFrequency`).
    """
    stack, seen = [pipeline], set()
    while stack:
        t = stack.pop()
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        yield t
        children = getattr(t, 'transforms', None)
        if isinstance(children, dict):
            children = list(children.values())
        if isinstance(children, (list, tuple)):
            stack.extend(reversed(children))
        elif children is not None:
            stack.append(children)


def _label_of(results: dict) -> int:
    if 'gt_label' not in results:
        raise KeyError('ApplyByClassFrequency: the sample has no "gt_label" '
                       f'(keys: {sorted(results)})')
    label = results['gt_label']
    arr = np.asarray(label)
    if arr.size != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f'ApplyByClassFrequency needs one class index per '
                         f'sample, got gt_label={label!r}')
    return int(arr.reshape(()))


@TRANSFORMS.register_module()
class ApplyByClassFrequency(BaseTransform):
    """Augment samples of tail classes with a stronger pipeline.

    A class is a tail class if it is in ``tail_classes`` or, by default, if
    it has fewer than ``count_threshold`` training images. Samples of tail
    classes go through ``tail_pipeline``, the others through ``default``
    (unchanged when it is None or ``[]``). Put it before ``PackInputs``.

    Where the counts come from, first match wins:

    1. ``tail_classes=[...]``: the tail classes, explicitly.
    2. ``class_counts=[...]``: training images per class, explicitly.
    3. The training set's long-tail context: ``LongTailContextHook`` (in
       every mmlt config's ``default_hooks``) counts the training set once
       when training starts and hands the counts to this transform in the
       training pipeline (through any dataset wrapper), so a config types
       none. Outside a Runner (a dataset used on its own) give 1 or 2, or
       call :meth:`set_long_tail_context`; otherwise the first sample
       raises an error.

    Only the chosen pipeline runs and the choice itself is deterministic,
    so the random draws come from the generators that mmengine seeds per
    process and data-loader worker: a run is reproducible given its seed.

    Example (CIFAR-100-LT: classes with fewer than 20 images)::

        dict(type='ApplyByClassFrequency',
             tail_pipeline=[dict(type='RandAugment',
                                 policies='timm_increasing',
                                 num_policies=2, magnitude_level=9)])

    Args:
        tail_pipeline: Transforms of the tail classes' samples.
        default: Transforms of the other samples (None: none).
        count_threshold: Classes with fewer training images are tail
            classes. Default 20: OLTR's few-shot threshold (Liu et al.,
            CVPR 2019), also ``LongTailMetric``'s ``few_shot_thr``. On
            CIFAR-10-LT (IR 100) the smallest class has 50 images, so set
            it (or ``tail_classes``) there.
        class_counts: Training images per class.
        tail_classes: Class indices of the tail classes.
    """

    def __init__(self,
                 tail_pipeline: PipelineCfg,
                 default: Optional[PipelineCfg] = None,
                 count_threshold: Union[int, float] = FEW_SHOT_THRESHOLD,
                 class_counts: Optional[Sequence[int]] = None,
                 tail_classes: Optional[Sequence[int]] = None) -> None:
        if class_counts is not None and tail_classes is not None:
            raise ValueError('give class_counts or tail_classes, not both: '
                             f'class_counts={class_counts!r}, tail_classes='
                             f'{tail_classes!r}')
        if isinstance(count_threshold, bool) or not isinstance(
                count_threshold, (int, float, np.number)) or \
                not np.isfinite(count_threshold) or count_threshold <= 0:
            raise ValueError(f'count_threshold={count_threshold!r} must be a '
                             'positive number of images')
        self.tail_pipeline = build_sub_pipeline(tail_pipeline,
                                                'tail_pipeline')
        if self.tail_pipeline is None:
            raise TypeError('tail_pipeline is None: give a list of '
                            'transforms')
        self.default = build_sub_pipeline(default if default is not None
                                          else [], 'default')
        self.count_threshold = float(count_threshold)
        self.class_counts: Optional[np.ndarray] = None
        self.tail_classes: Optional[frozenset] = None
        self._explicit = class_counts is not None or tail_classes is not None
        if tail_classes is not None:
            self.tail_classes = self._check_tail_classes(tail_classes)
        if class_counts is not None:
            self._set_counts(class_counts)

    @staticmethod
    def _check_tail_classes(tail_classes: Sequence[int]) -> frozenset:
        if isinstance(tail_classes, (str, dict)) or not isinstance(
                tail_classes, Sequence):
            raise TypeError(f'tail_classes must be a list of class indices, '
                            f'got {tail_classes!r}')
        for c in tail_classes:
            if isinstance(c, bool) or not isinstance(
                    c, (int, np.integer)) or c < 0:
                raise ValueError(f'tail_classes has {c!r}: class indices '
                                 'are non-negative ints')
        return frozenset(int(c) for c in tail_classes)

    def _set_counts(self, counts: Sequence[int]) -> None:
        self.class_counts = check_counts(counts, 'class_counts')
        tail = np.flatnonzero(self.class_counts < self.count_threshold)
        self.tail_classes = frozenset(tail.tolist())
        if not self.tail_classes:
            print_log(
                f'ApplyByClassFrequency: no class has fewer than '
                f'{self.count_threshold:g} training images (smallest: '
                f'{int(self.class_counts.min())}); tail_pipeline will never '
                'run. Lower count_threshold or give tail_classes.',
                logger='current', level=logging.WARNING)

    def set_long_tail_context(self, context) -> None:
        """Take the training set's class counts from its
        :class:`~mmlt.structures.LongTailContext` (``LongTailContextHook``
        hands it to the training pipeline when training starts).

        Ignored when ``class_counts`` or ``tail_classes`` were given
        explicitly.
        """
        if not self._explicit:
            self._set_counts(context.class_counts)

    @property
    def transforms(self) -> list:
        """Both sub-pipelines (for code that walks a pipeline's tree)."""
        return [self.tail_pipeline, self.default]

    def is_tail(self, label: int) -> bool:
        """Whether class ``label`` is a tail class."""
        if self.tail_classes is None:
            raise RuntimeError(
                'ApplyByClassFrequency does not know the class counts: give '
                'class_counts=[...] or tail_classes=[...], or train with '
                "LongTailContextHook (default_hooks['long_tail_context'] of "
                "mmlt's configs), which hands the training set's counts to "
                'the training pipeline when training starts')
        if label < 0 or (self.class_counts is not None
                         and label >= len(self.class_counts)):
            num = 'unknown' if self.class_counts is None else len(
                self.class_counts)
            raise ValueError(f'ApplyByClassFrequency: gt_label {label} is not '
                             f'a class of the training set (number of '
                             f'classes: {num})')
        return label in self.tail_classes

    def pipeline_for(self, results: dict) -> Compose:
        """The pipeline of the sample's class."""
        if self.is_tail(_label_of(results)):
            return self.tail_pipeline
        return self.default

    def transform(self, results: dict) -> Optional[dict]:
        return self.pipeline_for(results)(results)

    def __repr__(self) -> str:
        tail = None if self.tail_classes is None else sorted(
            self.tail_classes)
        return (f'{type(self).__name__}(tail_classes={tail}, '
                f'count_threshold={self.count_threshold:g}, tail_pipeline='
                f'{self.tail_pipeline}, default={self.default})')
