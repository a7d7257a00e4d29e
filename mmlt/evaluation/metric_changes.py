"""The change of every long-tail metric between two predictions of the same
images, each with its paired, class-stratified bootstrap interval
(:mod:`mmlt.evaluation.paired_bootstrap`).

:func:`row_metrics` computes the metrics of :class:`~mmlt.evaluation.
LongTailMetric` (top-1, balanced accuracy, macro-F1, worst-class F1, the
shot bins, each group's accuracy, and the accuracy at a target class prior)
for many draws at once: one draw per row of a ``(b, n)`` array of labels
and predictions. Row ``i`` equals the functions of
:mod:`mmlt.evaluation.functional` on that row (the tests check it): class
averages are over the classes with images in the row, F1 is
``2TP / (2TP + FP + FN)``.
"""
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from mmlt.structures.shot_bins import (FEW_SHOT_THR, MANY_SHOT_THR,
                                       SHOT_NAMES, shot_masks)
from .paired_bootstrap import (CONFIDENCE, DEFAULT_RESAMPLES, MIN_IMAGES,
                               Change, paired_bootstrap, to_changes)

__all__ = ['CLASS_METRICS', 'row_metrics', 'metric_changes',
           'metric_support', 'group_key']

#: The metrics every comparison has, in table order (then the shot bins,
#: the groups and, with a target prior, ``target_top1``).
CLASS_METRICS = ('balanced_accuracy', 'macro_f1', 'worst_class_f1', 'top1')


def group_key(group: int) -> str:
    """The metric name of a group's accuracy."""
    return f'group_{int(group)}'


def _per_row_counts(values: np.ndarray, size: int,
                    keep: Optional[np.ndarray] = None) -> np.ndarray:
    """``(b, size)``: how often each value occurs in each row (only where
    ``keep``)."""
    rows = values.shape[0]
    flat = values + size * np.arange(rows)[:, None]
    if keep is not None:
        flat = flat[keep]
    return np.bincount(flat.reshape(-1), minlength=rows * size).reshape(
        rows, size)


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the True entries of each row; NaN for a row without any."""
    count = mask.sum(1)
    total = np.where(mask, values, 0.0).sum(1)
    out = np.full(values.shape[0], np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def row_metrics(labels: np.ndarray,
                preds: np.ndarray,
                num_classes: int,
                masks: Optional[Mapping[str, np.ndarray]] = None,
                groups: Optional[np.ndarray] = None,
                group_ids: Sequence[int] = (),
                target_prior: Optional[np.ndarray] = None
                ) -> Dict[str, np.ndarray]:
    """The long-tail metrics of every row, as fractions.

    Args:
        labels, preds: ``(b, n)`` true and predicted classes.
        num_classes: C.
        masks: Shot-bin masks (``{'many': (C,) bool, ...}``,
            :func:`~mmlt.structures.shot_masks`); None: no shot metrics.
        groups: ``(b, n)`` group ids (with ``group_ids``).
        group_ids: The groups to report, each as ``group_<g>``.
        target_prior: ``(C,)`` class weights of a deployment mix: adds
            ``target_top1 = sum_c q_c recall_c`` over the classes with
            images (``q`` renormalised over them), the top-1 accuracy the
            model would have on images drawn with that class mix.

    Returns:
        ``{name: (b,) array}``; NaN where a metric has no image in a row.
    """
    labels = np.asarray(labels, dtype=np.int64)
    preds = np.asarray(preds, dtype=np.int64)
    if labels.ndim != 2 or labels.shape != preds.shape:
        raise ValueError(f'labels {labels.shape} and preds {preds.shape} '
                         'must be (b, n) arrays of one shape')
    correct = labels == preds
    support = _per_row_counts(labels, num_classes).astype(np.float64)
    tp = _per_row_counts(labels, num_classes, correct).astype(np.float64)
    predicted = _per_row_counts(preds, num_classes).astype(np.float64)
    present = support > 0
    recall = np.zeros_like(tp)
    np.divide(tp, support, out=recall, where=present)
    f1 = np.zeros_like(tp)
    np.divide(2 * tp, support + predicted, out=f1,
              where=support + predicted > 0)
    worst = np.where(present, f1, np.inf).min(1)
    out = {
        'balanced_accuracy': _masked_mean(recall, present),
        'macro_f1': _masked_mean(f1, present),
        'worst_class_f1': np.where(np.isinf(worst), np.nan, worst),
        'top1': correct.mean(1) if labels.shape[1] else np.full(
            labels.shape[0], np.nan),
    }
    if masks is not None:
        for name in SHOT_NAMES:
            out[f'{name}_shot'] = _masked_mean(
                recall, present & np.asarray(masks[name], bool)[None])
    if group_ids:
        groups = np.asarray(groups, dtype=np.int64)
        for g in group_ids:
            in_g = groups == g
            count = in_g.sum(1)
            acc = np.full(labels.shape[0], np.nan)
            np.divide((correct & in_g).sum(1), count, out=acc,
                      where=count > 0)
            out[group_key(g)] = acc
    if target_prior is not None:
        weight = np.where(present, np.asarray(target_prior,
                                              np.float64)[None], 0.0)
        total = weight.sum(1)
        acc = np.full(labels.shape[0], np.nan)
        np.divide((weight * recall).sum(1), total, out=acc, where=total > 0)
        out['target_top1'] = acc
    return out


def metric_support(labels: np.ndarray,
                   masks: Optional[Mapping[str, np.ndarray]] = None,
                   groups: Optional[np.ndarray] = None,
                   group_ids: Sequence[int] = ()) -> Dict[str, int]:
    """How many images each metric of :func:`row_metrics` rests on."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    out = {name: labels.size
           for name in CLASS_METRICS + ('target_top1', )}
    if masks is not None:
        for name in SHOT_NAMES:
            out[f'{name}_shot'] = int(
                np.asarray(masks[name], bool)[labels].sum())
    for g in group_ids:
        out[group_key(g)] = int((np.asarray(groups) == g).sum())
    return out


def metric_changes(labels: np.ndarray,
                   reference_pred: np.ndarray,
                   new_pred: np.ndarray,
                   num_classes: int,
                   class_counts: Optional[np.ndarray] = None,
                   groups: Optional[np.ndarray] = None,
                   target_prior: Optional[np.ndarray] = None,
                   many_shot_thr: float = MANY_SHOT_THR,
                   few_shot_thr: float = FEW_SHOT_THR,
                   num_resamples: int = DEFAULT_RESAMPLES,
                   confidence: float = CONFIDENCE,
                   min_images: int = MIN_IMAGES,
                   seed: int = 0) -> Dict[str, Change]:
    """Every metric's change from ``reference_pred`` to ``new_pred`` on the
    same images, in points, with a paired bootstrap interval (images
    resampled within each true class).

    Args:
        labels: ``(N,)`` true classes.
        reference_pred, new_pred: ``(N,)`` predicted classes.
        num_classes: C.
        class_counts: Training images per class: adds the shot bins
            (OLTR's split at ``many_shot_thr`` / ``few_shot_thr``).
        groups: ``(N,)`` group ids: adds each group's accuracy.
        target_prior: ``(C,)``: adds ``target_top1`` (:func:`row_metrics`).
        num_resamples, confidence, seed: Of the bootstrap.
        min_images: A metric on fewer images gets no interval.

    Returns:
        ``{metric: Change}``, in the order of :func:`row_metrics`.
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    reference_pred = np.asarray(reference_pred, np.int64).reshape(-1)
    new_pred = np.asarray(new_pred, np.int64).reshape(-1)
    if not labels.size == reference_pred.size == new_pred.size:
        raise ValueError(f'labels ({labels.size}), reference_pred '
                         f'({reference_pred.size}) and new_pred '
                         f'({new_pred.size}) must have one length')
    masks = None if class_counts is None else shot_masks(
        class_counts, many_shot_thr, few_shot_thr)
    group_ids = [] if groups is None else [
        int(g) for g in np.unique(groups)]
    groups = None if groups is None else np.asarray(groups, np.int64)

    def change(index: np.ndarray) -> np.ndarray:
        extra = dict(masks=masks, group_ids=group_ids,
                     groups=None if groups is None else groups[index],
                     target_prior=target_prior)
        new = row_metrics(labels[index], new_pred[index], num_classes,
                          **extra)
        ref = row_metrics(labels[index], reference_pred[index], num_classes,
                          **extra)
        return np.stack([new[k] - ref[k] for k in new], axis=1)

    names = list(row_metrics(labels[None], new_pred[None], num_classes,
                             masks=masks, group_ids=group_ids,
                             groups=None if groups is None else groups[None],
                             target_prior=target_prior))
    observed, low, high = paired_bootstrap(change, labels, num_resamples,
                                           confidence, seed)
    return to_changes(names, observed, low, high,
                      metric_support(labels, masks, groups, group_ids),
                      min_images, scale=100.0)
