"""Pure NumPy functions behind :class:`mmlt.evaluation.LongTailMetric`.

Every function here works on plain arrays, returns fractions in ``[0, 1]``
(the metric turns them into percent) and has no state, so each can be
checked against scikit-learn on its own.

The many/medium/few split (OLTR's shot bins) is defined in
:mod:`mmlt.structures.shot_bins` and re-exported here, where the metric's
callers have always found it.
"""
from typing import Dict, NamedTuple, Sequence, Union

import numpy as np

# re-exported: the metric, the tau search and the analysis read them here
from mmlt.structures.shot_bins import (  # noqa: F401
    FEW_SHOT_THR, MANY_SHOT_THR, SHOT_NAMES, class_shots, shot_masks)

ArrayLike = Union[np.ndarray, Sequence[int], Sequence[float]]


class PerClassScores(NamedTuple):
    """Per-class precision, recall, F1 (fractions) and support (counts)."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray


def gt_rank(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Position of the ground-truth class in each row sorted by score.

    The position is 0-based and ties are broken by class index, so it equals
    ``np.argsort(-scores, kind='stable')`` searched for the label, and
    position 0 is ``scores.argmax()``. A sample is top-k correct iff its rank
    is below k, which lets a metric keep one integer per sample instead of a
    whole score vector.

    Args:
        scores (np.ndarray): Scores of shape ``(N, C)`` or ``(C,)``.
        labels (np.ndarray): Ground-truth labels of shape ``(N,)`` or a
            scalar, each in ``[0, C)``.

    Returns:
        np.ndarray: Integer ranks of shape ``(N,)`` (or a 0-d array).
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels, dtype=np.int64)
    single = scores.ndim == 1
    scores = np.atleast_2d(scores)
    labels = np.atleast_1d(labels)
    gt_score = np.take_along_axis(scores, labels[:, None], axis=1)
    higher = (scores > gt_score).sum(axis=1)
    index = np.arange(scores.shape[1])[None, :]
    tied_before = ((scores == gt_score) & (index < labels[:, None])).sum(1)
    ranks = higher + tied_before
    return ranks[0] if single else ranks


def topk_accuracy(ranks: np.ndarray, k: int) -> float:
    """Fraction of samples whose ground truth is among the k best scores.

    Args:
        ranks (np.ndarray): Ground-truth ranks from :func:`gt_rank`.
        k (int): Number of best predictions that count as a hit.

    Returns:
        float: Top-k accuracy in ``[0, 1]``; ``nan`` for no samples.
    """
    ranks = np.asarray(ranks)
    if ranks.size == 0:
        return float('nan')
    return float(np.mean(ranks < k))


def confusion_matrix(gt_labels: ArrayLike, pred_labels: ArrayLike,
                     num_classes: int) -> np.ndarray:
    """Count matrix with ground truth along rows and prediction along columns.

    Equals ``sklearn.metrics.confusion_matrix(gt, pred,
    labels=range(num_classes))``.

    Args:
        gt_labels (ArrayLike): Ground-truth labels, each in
            ``[0, num_classes)``.
        pred_labels (ArrayLike): Predicted labels, each in
            ``[0, num_classes)``.
        num_classes (int): Number of classes C.

    Returns:
        np.ndarray: Integer matrix of shape ``(C, C)``.
    """
    gt = np.asarray(gt_labels, dtype=np.int64)
    pred = np.asarray(pred_labels, dtype=np.int64)
    flat = np.bincount(
        gt * num_classes + pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_scores(confusion: np.ndarray) -> PerClassScores:
    """Per-class precision, recall and F1 from a confusion matrix.

    Undefined ratios (a class never predicted, or absent from the ground
    truth) are 0, as in scikit-learn with ``zero_division=0``. F1 is
    :math:`2TP / (2TP + FP + FN)`, which equals :math:`2PR / (P + R)`
    wherever the latter is defined.

    Args:
        confusion (np.ndarray): Matrix from :func:`confusion_matrix`.

    Returns:
        PerClassScores: Arrays of shape ``(C,)``.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(confusion)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)

    def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        out = np.zeros_like(num)
        np.divide(num, den, out=out, where=den > 0)
        return out

    precision = _ratio(tp, predicted)
    recall = _ratio(tp, support)
    f1 = _ratio(2 * tp, support + predicted)
    return PerClassScores(precision, recall, f1, support.astype(np.int64))


def validated_mean(values: np.ndarray, support: np.ndarray) -> float:
    """Mean of a per-class value over the *validated* classes: those with at
    least one image in the evaluated set.

    A class without images there has no recall (and no F1 worth averaging:
    it is 0 by convention, or undefined); it is left out of every class
    average and reported as not validated instead, e.g. a class a
    stratified k-fold keeps in training because it has fewer images than
    folds.

    Args:
        values (np.ndarray): Per-class values of shape ``(C,)``.
        support (np.ndarray): Ground-truth count per class, shape ``(C,)``.

    Returns:
        float: The mean; ``nan`` if no class is validated.
    """
    return _over_validated(values, support, np.mean)


def balanced_accuracy(recall: np.ndarray, support: np.ndarray) -> float:
    """Mean recall over the classes present in the ground truth
    (:func:`validated_mean` of the recall).

    Equals ``sklearn.metrics.balanced_accuracy_score``.

    Args:
        recall (np.ndarray): Per-class recall of shape ``(C,)``.
        support (np.ndarray): Ground-truth count per class, shape ``(C,)``.

    Returns:
        float: Balanced accuracy in ``[0, 1]``; ``nan`` if no class is
        present.
    """
    return validated_mean(recall, support)


def validated_min(values: np.ndarray, support: np.ndarray) -> float:
    """Smallest per-class value over the validated classes (those with
    images in the evaluated set), e.g. the worst class's F1.

    Args:
        values (np.ndarray): Per-class values of shape ``(C,)``.
        support (np.ndarray): Ground-truth count per class, shape ``(C,)``.

    Returns:
        float: The minimum; ``nan`` if no class is validated.
    """
    return _over_validated(values, support, np.min)


def validated_std(values: np.ndarray, support: np.ndarray) -> float:
    """Population standard deviation (``ddof=0``, NumPy's default: divided
    by the number of validated classes, not by one less) of a per-class
    value over the validated classes: how unevenly the classes fare.

    Args:
        values (np.ndarray): Per-class values of shape ``(C,)``.
        support (np.ndarray): Ground-truth count per class, shape ``(C,)``.

    Returns:
        float: The standard deviation (0 for one validated class); ``nan``
        if no class is validated.
    """
    return _over_validated(values, support, np.std)


def _over_validated(values: np.ndarray, support: np.ndarray,
                    reduce) -> float:
    """``reduce`` of the per-class values of the classes with images in
    the evaluated set (float64); ``nan`` when there is none."""
    validated = np.asarray(support) > 0
    if not validated.any():
        return float('nan')
    return float(reduce(np.asarray(values, dtype=np.float64)[validated]))


def weighted_mean(values: np.ndarray, support: np.ndarray) -> float:
    """Support-weighted mean, as scikit-learn's ``average='weighted'``.

    Args:
        values (np.ndarray): Per-class values of shape ``(C,)``.
        support (np.ndarray): Ground-truth count per class, shape ``(C,)``.

    Returns:
        float: The weighted mean; 0 when the support sums to zero.
    """
    support = np.asarray(support, dtype=np.float64)
    total = support.sum()
    if total == 0:
        return 0.0
    return float((np.asarray(values) * support).sum() / total)


def worst_validated_class(recall: np.ndarray, support: np.ndarray) -> int:
    """Index of the validated class (with images in the evaluated set) with
    the lowest recall; the lowest index on a tie.

    Args:
        recall (np.ndarray): Per-class recall of shape ``(C,)``.
        support (np.ndarray): Ground-truth count per class, shape ``(C,)``;
            at least one must be positive.
    """
    return int(np.argmin(np.where(np.asarray(support) > 0, recall, np.inf)))


def group_accuracies(gt_labels: ArrayLike, pred_labels: ArrayLike,
                     group_ids: ArrayLike) -> Dict[int, float]:
    """Top-1 accuracy of each group present, by ascending group id.

    Args:
        gt_labels (ArrayLike): Ground-truth labels of shape ``(N,)``.
        pred_labels (ArrayLike): Predicted labels of shape ``(N,)``.
        group_ids (ArrayLike): Group id of each sample, shape ``(N,)``.

    Returns:
        Dict[int, float]: ``{group id: fraction of its samples predicted
        right}``.
    """
    gt, pred = np.asarray(gt_labels), np.asarray(pred_labels)
    groups = np.asarray(group_ids)
    return {
        int(g): float(np.mean(pred[groups == g] == gt[groups == g]))
        for g in np.unique(groups)
    }


def masked_mean_recall(recall: np.ndarray, support: np.ndarray,
                       mask: np.ndarray) -> float:
    """Mean recall over the classes in ``mask`` that occur in the ground truth.

    Args:
        recall (np.ndarray): Per-class recall of shape ``(C,)``.
        support (np.ndarray): Ground-truth count per class, shape ``(C,)``.
        mask (np.ndarray): Boolean mask of shape ``(C,)`` selecting classes.

    Returns:
        float: The mean in ``[0, 1]``, or ``nan`` if no selected class
        occurs in the ground truth (e.g. an empty shot bin).
    """
    keep = np.asarray(mask, dtype=bool) & (np.asarray(support) > 0)
    if not keep.any():
        return float('nan')
    return float(np.asarray(recall)[keep].mean())


class GroupClassRecall(NamedTuple):
    """Per-class recall within each group (a class x group view).

    Attributes:
        group_ids (np.ndarray): The G group ids, ascending, shape ``(G,)``.
        support (np.ndarray): Test images of class c in group
            ``group_ids[g]`` at ``[g, c]``, shape ``(G, C)``.
        recall (np.ndarray): Recall (fraction) of class c within group
            ``group_ids[g]`` at ``[g, c]``, shape ``(G, C)``; ``nan`` where
            the group has no image of the class.
    """

    group_ids: np.ndarray
    support: np.ndarray
    recall: np.ndarray


def group_class_recall(gt_labels: ArrayLike, pred_labels: ArrayLike,
                       group_ids: ArrayLike,
                       num_classes: int) -> GroupClassRecall:
    """Recall of every class within every group present.

    For group g and class c, :math:`R_{g,c} = TP_{g,c} / N_{g,c}`: of the
    :math:`N_{g,c}` images of class c in group g, the fraction predicted as
    c. Wherever :math:`N_{g,c} > 0` it equals
    ``sklearn.metrics.recall_score(gt[in_g], pred[in_g], labels=[c],
    average=None)``. Where :math:`N_{g,c} = 0` it is ``nan``, not
    scikit-learn's ``zero_division`` value, so that "no image" is not
    mistaken for "every image wrong".

    Args:
        gt_labels (ArrayLike): Ground-truth labels of shape ``(N,)``, each in
            ``[0, num_classes)``.
        pred_labels (ArrayLike): Predicted labels of shape ``(N,)``, each in
            ``[0, num_classes)``.
        group_ids (ArrayLike): Group id of each sample, shape ``(N,)``.
        num_classes (int): Number of classes C.

    Returns:
        GroupClassRecall: The groups present (G of them, ascending) and
        ``(G, C)`` arrays of image counts and recalls.

    Raises:
        ValueError: If the three arrays differ in length.
    """
    gt = np.asarray(gt_labels, dtype=np.int64).reshape(-1)
    pred = np.asarray(pred_labels, dtype=np.int64).reshape(-1)
    groups = np.asarray(group_ids, dtype=np.int64).reshape(-1)
    if not gt.size == pred.size == groups.size:
        raise ValueError(f'gt_labels ({gt.size}), pred_labels ({pred.size}) '
                         f'and group_ids ({groups.size}) must have the same '
                         'length.')
    ids, index = np.unique(groups, return_inverse=True)
    cells = index * num_classes + gt
    size = ids.size * num_classes
    support = np.bincount(cells, minlength=size).reshape(-1, num_classes)
    hits = np.bincount(cells[gt == pred], minlength=size).reshape(
        -1, num_classes)
    recall = np.full(support.shape, np.nan)
    np.divide(hits, support, out=recall, where=support > 0)
    return GroupClassRecall(ids, support, recall)
