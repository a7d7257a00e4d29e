"""Count the training set once and hand its long-tail context to every
consumer."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.dist import is_main_process

from mmlt.datasets.label_utils import (get_classes,
                                       long_tail_context_from_dataset)
from mmlt.models.heads import find_head
from mmlt.registry import HOOKS
from mmlt.structures.long_tail_context import (LongTailContext, hand_over,
                                               pipelines_of)
from .single_instance_hook import SingleInstanceHook

__all__ = ['LongTailContextHook', 'check_num_classes', 'check_same_classes']


def check_num_classes(head_classes: Optional[int],
                      classes: Optional[Sequence[str]], what: str) -> None:
    """Raise if the head's ``num_classes`` differs from the dataset's."""
    if head_classes is None or classes is None:
        return
    if head_classes != len(classes):
        raise ValueError(
            f'model.head.num_classes={head_classes} but the {what} has '
            f'{len(classes)} classes {list(classes)[:20]}'
            f'{"..." if len(classes) > 20 else ""}; set num_classes to '
            f'{len(classes)}')


def check_same_classes(train_classes: Optional[Sequence[str]],
                       classes: Optional[Sequence[str]], what: str) -> None:
    """Raise if ``what`` names its classes differently from training.

    Label ``i`` means the ``i``-th class name of each dataset, so the same
    names in another order would pair every prediction with the wrong
    class; mmlt refuses it rather than remapping silently.
    """
    if train_classes is None or classes is None:
        return
    train_classes, classes = list(train_classes), list(classes)
    if train_classes == classes:
        return
    if sorted(train_classes) == sorted(classes):
        problem = 'the same class names in a different order'
    else:
        problem = (f'different classes (only in training: '
                   f'{sorted(set(train_classes) - set(classes))}, only in '
                   f'the {what}: {sorted(set(classes) - set(train_classes))})')
    raise ValueError(
        f'the {what} has {problem}: label indices would mean different '
        f'classes. Training classes (index order): {train_classes}; '
        f'{what} classes: {classes}. Give both datasets the same classes= '
        '(list or file) in the same order.')


def _unwrapped(model):
    from mmengine.model import BaseTTAModel, is_model_wrapper
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def _metrics_of(evaluator) -> list:
    return list(getattr(evaluator, 'metrics', []) or [])


@HOOKS.register_module()
class LongTailContextHook(SingleInstanceHook):
    """Build the training set's long-tail context once and hand it over.

    When training starts it counts the training set once
    (:func:`~mmlt.datasets.long_tail_context_from_dataset`: labels and
    groups through any dataset wrapper, without decoding images), checks
    that the head's ``num_classes`` matches the dataset's classes, warns
    about every class with zero training images (naming it), and hands the
    :class:`~mmlt.structures.LongTailContext` to every consumer with
    ``set_long_tail_context``: the head (which keeps the counts in its
    checkpointed ``class_counts`` buffer and gives them to its loss), the
    transforms of the training pipeline (``ApplyByClassFrequency``) and the
    other hooks (``DeferredReweightingHook``). It gives a re-sampling
    sampler without ``num_epochs`` the schedule length (the sampler reads
    each sample's label itself: it draws samples, of a dataset that may hold
    more than the counted members) and, on the main process, plots the
    class distribution to ``work_dir/class_distribution.png``. Before
    validation and testing it hands a context to every metric (and the
    evaluated pipeline's transforms): an ensemble's counts, else the head's
    buffer (so testing a checkpoint uses the counts it was trained with),
    and the work dir to metrics with ``set_out_dir``.

    Args:
        plot: Write the class-distribution plot.
        count_datasets: For a ``ConcatDataset`` training set, count only
            these members (indices) as "the training class counts", e.g.
            ``[0]`` when member 1 holds generated images (CAM-based
            sampling) that must not turn every class into a many-shot
            class. None (default) counts the whole set.
    """

    default_hooks_key = 'long_tail_context'
    priority = 'VERY_HIGH'

    def __init__(self,
                 plot: bool = True,
                 count_datasets: Optional[Sequence[int]] = None) -> None:
        self.plot = plot
        if count_datasets is not None:
            if isinstance(count_datasets, int) or not all(
                    isinstance(i, int) and not isinstance(i, bool)
                    for i in count_datasets) or not count_datasets:
                raise ValueError(f'count_datasets={count_datasets!r} must be '
                                 'a non-empty list of member indices')
            count_datasets = list(count_datasets)
        self.count_datasets = count_datasets
        self.context: Optional[LongTailContext] = None
        self.train_classes: Optional[Sequence[str]] = None

    def _counted_dataset(self, dataset):
        if self.count_datasets is None:
            return dataset
        members = getattr(dataset, 'datasets', None)
        if not isinstance(members, (list, tuple)):
            raise ValueError(
                f'LongTailContextHook(count_datasets={self.count_datasets}) '
                f'needs a ConcatDataset training set, got '
                f'{type(dataset).__name__}')
        bad = [i for i in self.count_datasets
               if not -len(members) <= i < len(members)]
        if bad:
            raise ValueError(
                f'LongTailContextHook: count_datasets {bad} out of range for '
                f'a ConcatDataset of {len(members)} datasets')
        from mmengine.dataset import ConcatDataset
        picked = [members[i] for i in self.count_datasets]
        return picked[0] if len(picked) == 1 else ConcatDataset(
            picked, lazy_init=False)

    def before_train(self, runner) -> None:
        dataset = self._counted_dataset(runner.train_dataloader.dataset)
        classes = get_classes(dataset)
        head = find_head(runner.model)
        head_classes = getattr(head, 'num_classes', None)
        check_num_classes(head_classes, classes, 'training dataset')
        self.train_classes = classes
        num_classes = len(classes) if classes is not None else head_classes
        # the one count of the training set; every consumer gets this
        self.context = long_tail_context_from_dataset(dataset, num_classes)
        counts = self.context.class_counts
        empty = self.context.zero_count_classes()
        if empty:
            runner.logger.warning(
                f'{len(empty)} class(es) have no training image: '
                f'{", ".join(map(str, empty))}. Losses and samplers that '
                'divide by class counts will refuse them.')
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        if getattr(sampler, 'num_epochs', 0) is None and hasattr(
                sampler, 'set_num_epochs') and getattr(
                    runner, 'max_epochs', None):
            sampler.set_num_epochs(runner.max_epochs)
        others = [h for h in getattr(runner, 'hooks', []) if h is not self]
        hand_over(self.context, [head] +
                  self._transforms_of(runner.train_dataloader) + others)
        runner.logger.info(
            f'Training set: {int(counts.sum())} images in {len(counts)} '
            f'classes; largest {int(counts.max())}, smallest '
            f'{int(counts.min())}, imbalance ratio '
            f'{counts.max() / max(counts.min(), 1):.1f}')
        if self.plot and is_main_process():
            from mmlt.visualization import plot_class_distribution
            names = classes or [str(i) for i in range(len(counts))]
            # with two or more groups, each bar stacks its groups' counts
            # (the context's class x group table: the set is not read again)
            split = {}
            table = self.context.class_group_counts
            if table is not None:
                present = np.flatnonzero(table.sum(0) > 0)
                if present.size > 1:
                    split = dict(group_counts=table[:, present],
                                 group_ids=present.tolist())
            path = plot_class_distribution(
                counts, names,
                osp.join(runner.work_dir, 'class_distribution.png'), **split)
            runner.logger.info(f'Class distribution plotted to {path}')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Remember the training classes a tested checkpoint was saved
        with (MMEngine stores the training set's metainfo in its meta)."""
        meta = (checkpoint or {}).get('meta', None) or {}
        dataset_meta = meta.get('dataset_meta', None) or {}
        if self.train_classes is None and dataset_meta.get('classes'):
            self.train_classes = tuple(dataset_meta['classes'])

    @staticmethod
    def _transforms_of(dataloader) -> list:
        """Every transform of the dataloader's pipelines (through dataset
        wrappers and nested sub-pipelines)."""
        from mmlt.datasets.transforms import iter_transforms
        dataset = getattr(dataloader, 'dataset', None)
        return [t for pipeline in pipelines_of(dataset)
                for t in iter_transforms(pipeline)]

    def _evaluation_context(self, runner) -> Optional[LongTailContext]:
        """The context the metrics use: an ensemble's counts (the data it
        represents), else the head's checkpointed buffer (so testing a
        checkpoint uses the counts it was trained with), else the one
        built when training started."""
        model = _unwrapped(runner.model)
        head = find_head(runner.model)
        if hasattr(model, 'training_class_counts'):  # mmlt's ensembles
            counts = model.training_class_counts
        elif head is not None and getattr(head, 'class_counts_known', False):
            counts = head.class_counts.cpu().numpy()
        else:
            return self.context
        if counts is None:
            return self.context
        if self.context is not None and np.array_equal(
                counts, self.context.class_counts):
            return self.context
        return LongTailContext(counts, class_names=self.train_classes)

    def _feed_metrics(self, runner, evaluator, dataloader, what: str) -> None:
        head = find_head(runner.model)
        classes = get_classes(getattr(dataloader, 'dataset', None))
        check_num_classes(getattr(head, 'num_classes', None), classes, what)
        check_same_classes(self.train_classes, classes, what)
        context = self._evaluation_context(runner)
        if context is not None:
            hand_over(context, _metrics_of(evaluator) +
                      self._transforms_of(dataloader))
        for metric in _metrics_of(evaluator):
            if hasattr(metric, 'set_out_dir') and getattr(
                    metric, 'out_dir', None) is None:
                metric.set_out_dir(runner.work_dir)

    def before_val(self, runner) -> None:
        self._feed_metrics(runner, runner.val_evaluator,
                           runner.val_dataloader, 'validation dataset')

    def before_test(self, runner) -> None:
        self._feed_metrics(runner, runner.test_evaluator,
                           runner.test_dataloader, 'test dataset')
