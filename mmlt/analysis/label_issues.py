"""Find images whose given label is probably wrong, ranked.

Two sources of evidence, two rankings (``tools/analysis_tools/
find_label_issues.py`` is the command line):

* **Out-of-fold probabilities** (the k-fold driver's
  ``oof_predictions.npz``: every training image scored by a model that did
  not train on it) go to cleanlab's ``find_label_issues`` — confident
  learning (Northcutt, Jiang & Chuang, "Confident Learning: Estimating
  Uncertainty in Dataset Labels", JAIR 2021): per-class thresholds
  ``t_j = mean p_j`` over the images labelled ``j`` build the confident
  joint of given and true labels, and the off-diagonal mass, pruned by the
  estimated noise rates, names the issues. They are ranked by cleanlab's
  label-quality score (default ``self_confidence`` = ``p(given label)``,
  lowest first).
* **Per-image losses of one checkpoint** on any split: ``loss = −log
  p(given label)`` and, within each given class, the robust z-score
  ``z = 0.6745 · (loss − median) / MAD`` (Iglewicz & Hoaglin, "How to
  Detect and Handle Outliers", 1993; ``MAD = median |loss − median|``,
  0.6745 = 1/1.4826 makes it a standard score for normal data). Images with
  ``z > 3.5`` (their recommended cut-off) are outliers, ranked by ``z``.
  When a class's MAD is 0, the mean absolute deviation times 1.2533 takes
  its place (its normal-consistent scale, the usual fallback); classes with
  fewer than ``min_count`` images get no score. This is the practitioner's
  "evaluate one image at a time and pull out the outliers", in batches.

Both give rows with the columns :data:`ISSUE_COLUMNS` (plus their own
scores), written to a CSV that ``GroupAnnotationDataset(label_issues=...)``
reads (:mod:`mmlt.datasets.label_issue_filter`).

cleanlab is an optional dependency: ``pip install 'mmlt[noise]'``.
"""
import csv
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'ISSUE_COLUMNS', 'OOF_KEYS', 'CLEANLAB_INSTALL', 'OOFPredictions',
    'import_cleanlab', 'load_oof_predictions', 'confident_learning_issues',
    'oof_label_issues', 'per_image_loss', 'robust_zscores',
    'loss_outlier_issues', 'write_issue_csv', 'markdown_table',
    'RANK_BY', 'FILTER_BY'
]

ISSUE_COLUMNS = ('rank', 'index', 'filename', 'given_label', 'given_class',
                 'suggested_label', 'suggested_class', 'self_confidence',
                 'group_id')
OOF_KEYS = ('probs', 'gt_label', 'group_id', 'fold', 'index', 'filename',
            'classes')
# cleanlab's label-quality scores and its filters
RANK_BY = ('self_confidence', 'normalized_margin',
           'confidence_weighted_entropy')
FILTER_BY = ('prune_by_noise_rate', 'prune_by_class', 'both',
             'confident_learning', 'predicted_neq_given',
             'low_normalized_margin', 'low_self_confidence')
CLEANLAB_INSTALL = (
    "pip install 'mmlt[noise]' (in a checkout: pip install -e '.[noise]', "
    'or the tested version: pip install -c requirements/constraints.txt '
    '-r requirements/noise.txt)')
# Iglewicz & Hoaglin (1993): modified z-score constant and cut-off
MAD_TO_Z = 0.6745
MEAN_AD_TO_Z = 1 / 1.2533
DEFAULT_Z_THRESHOLD = 3.5


def import_cleanlab() -> Any:
    """``cleanlab.filter`` and ``cleanlab.rank``, or an ImportError that
    says how to install the extra."""
    try:
        import cleanlab.filter
        import cleanlab.rank
    except ImportError as e:
        raise ImportError(
            'the out-of-fold label-issue finder uses cleanlab (confident '
            f'learning), which is not installed ({e}). Install the extra: '
            f'{CLEANLAB_INSTALL}') from e
    return cleanlab


@dataclass(frozen=True)
class OOFPredictions:
    """The k-fold driver's out-of-fold predictions (``oof_predictions.npz``).

    Attributes:
        probs: ``(N, C)`` float32 class probabilities; a NaN row for an
            image no fold validated.
        gt_label: ``(N,)`` given labels.
        group_id: ``(N,)`` group ids.
        fold: ``(N,)`` the fold that validated the image, -1 if none did
            (e.g. its class has fewer images than there are folds).
        index: ``(N,)`` position of the image in the full training dataset.
        filename: ``(N,)`` the image's file name.
        classes: ``(C,)`` class names.
    """
    probs: np.ndarray
    gt_label: np.ndarray
    group_id: np.ndarray
    fold: np.ndarray
    index: np.ndarray
    filename: np.ndarray
    classes: np.ndarray

    @property
    def validated(self) -> np.ndarray:
        """Boolean mask of the images some fold validated."""
        return self.fold >= 0


def load_oof_predictions(path: str) -> OOFPredictions:
    """Read and check an ``oof_predictions.npz``.

    Raises:
        ValueError: Naming the file and the key: a missing key, a shape or
            dtype that breaks the contract, a label out of range, a NaN row
            whose fold is not -1 (or a fold -1 row that has
            probabilities), probabilities that are negative or whose rows
            do not sum to 1.
    """
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in OOF_KEYS if k not in data.files]
        if missing:
            raise ValueError(f'{path}: missing key(s) {missing}; an '
                             f'out-of-fold file has {list(OOF_KEYS)}')
        arrays = {k: data[k] for k in OOF_KEYS}
    probs = arrays['probs']
    if probs.ndim != 2 or not np.issubdtype(probs.dtype, np.floating):
        raise ValueError(f'{path}: probs must be a float (N, C) array, got '
                         f'{probs.dtype} {probs.shape}')
    n, c = probs.shape
    for key in ('gt_label', 'group_id', 'fold', 'index'):
        a = arrays[key]
        if a.shape != (n, ) or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f'{path}: {key} must be an integer ({n},) array '
                             f'(N of probs), got {a.dtype} {a.shape}')
    if arrays['filename'].shape != (n, ):
        raise ValueError(f'{path}: filename must have shape ({n},), got '
                         f'{arrays["filename"].shape}')
    if arrays['classes'].shape != (c, ):
        raise ValueError(f'{path}: classes must have shape ({c},) (C of '
                         f'probs), got {arrays["classes"].shape}')
    labels = arrays['gt_label']
    bad = np.flatnonzero((labels < 0) | (labels >= c))
    if bad.size:
        raise ValueError(f'{path}: gt_label out of 0..{c - 1} at row(s) '
                         f'{bad[:10].tolist()}: {labels[bad[:10]].tolist()}')
    nan_rows = np.isnan(probs).any(1)
    unvalidated = arrays['fold'] < 0
    wrong = np.flatnonzero(nan_rows != unvalidated)
    if wrong.size:
        raise ValueError(
            f'{path}: row(s) {wrong[:10].tolist()} break the contract '
            '"fold -1 exactly where probs is a NaN row" (fold '
            f'{arrays["fold"][wrong[:10]].tolist()})')
    valid = probs[~unvalidated]
    sums = valid.sum(1)
    if (valid < 0).any() or not np.allclose(sums, 1, atol=1e-3):
        worst = int(np.argmax(np.abs(sums - 1))) if len(sums) else 0
        raise ValueError(f'{path}: probs must be probabilities (rows >= 0 '
                         'summing to 1); a validated row sums to '
                         f'{sums[worst] if len(sums) else float("nan")}')
    return OOFPredictions(
        probs=probs.astype(np.float32),
        gt_label=labels.astype(np.int64),
        group_id=arrays['group_id'].astype(np.int64),
        fold=arrays['fold'].astype(np.int64),
        index=arrays['index'].astype(np.int64),
        filename=arrays['filename'].astype(str),
        classes=arrays['classes'].astype(str))


def confident_learning_issues(probs: np.ndarray,
                              labels: np.ndarray,
                              rank_by: str = 'self_confidence',
                              filter_by: str = 'prune_by_noise_rate'
                              ) -> Tuple[np.ndarray, np.ndarray]:
    """cleanlab's label issues, most suspect first.

    Args:
        probs: ``(N, C)`` out-of-sample probabilities.
        labels: ``(N,)`` given labels.
        rank_by: cleanlab's label-quality score (one of :data:`RANK_BY`).
        filter_by: cleanlab's filter (one of :data:`FILTER_BY`).

    Returns:
        ``(positions, quality)``: positions of the issues ranked by
        increasing label quality, and the quality score of every image.
    """
    if rank_by not in RANK_BY:
        raise ValueError(f'rank_by={rank_by!r} is not one of {list(RANK_BY)}')
    if filter_by not in FILTER_BY:
        raise ValueError(f'filter_by={filter_by!r} is not one of '
                         f'{list(FILTER_BY)}')
    cleanlab = import_cleanlab()
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    positions = cleanlab.filter.find_label_issues(
        labels, probs, filter_by=filter_by, return_indices_ranked_by=rank_by,
        n_jobs=1)
    quality = cleanlab.rank.get_label_quality_scores(labels, probs,
                                                     method=rank_by)
    return np.asarray(positions, dtype=np.int64), quality


def _rows(positions: Sequence[int], index: np.ndarray, filename: Sequence,
          given: np.ndarray, suggested: np.ndarray, self_conf: np.ndarray,
          group: np.ndarray, classes: Sequence[str],
          extra: Dict[str, np.ndarray]) -> List[Dict[str, Any]]:
    rows = []
    for rank, pos in enumerate(positions, start=1):
        row = dict(
            rank=rank,
            index=int(index[pos]),
            filename=str(filename[pos]),
            given_label=int(given[pos]),
            given_class=str(classes[given[pos]]),
            suggested_label=int(suggested[pos]),
            suggested_class=str(classes[suggested[pos]]),
            self_confidence=float(self_conf[pos]),
            group_id=int(group[pos]))
        row.update({k: v[pos].item() for k, v in extra.items()})
        rows.append(row)
    return rows


def oof_label_issues(oof: OOFPredictions,
                     rank_by: str = 'self_confidence',
                     filter_by: str = 'prune_by_noise_rate'
                     ) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Confident learning on the validated rows of an out-of-fold file.

    Returns:
        ``(rows, summary)``: one row per issue, ranked, with
        :data:`ISSUE_COLUMNS` plus ``label_quality`` (cleanlab's
        ``rank_by`` score) and ``fold``; the summary holds ``num_images``,
        ``num_validated``, ``num_unvalidated`` (rows left out: no fold
        validated them), ``unvalidated_classes`` (their given classes with
        counts), ``num_issues``, ``rank_by`` and ``filter_by``.
    """
    keep = np.flatnonzero(oof.validated)
    if keep.size == 0:
        raise ValueError('no row of the out-of-fold file was validated '
                         '(every fold is -1): nothing to analyse')
    probs, labels = oof.probs[keep], oof.gt_label[keep]
    positions, quality = confident_learning_issues(probs, labels, rank_by,
                                                   filter_by)
    self_conf = probs[np.arange(len(keep)), labels]
    rows = _rows(positions, oof.index[keep], oof.filename[keep], labels,
                 probs.argmax(1), self_conf, oof.group_id[keep],
                 list(oof.classes),
                 dict(label_quality=quality, fold=oof.fold[keep]))
    left_out = oof.gt_label[~oof.validated]
    summary = dict(
        num_images=int(len(oof.fold)),
        num_validated=int(keep.size),
        num_unvalidated=int(left_out.size),
        unvalidated_classes={
            str(oof.classes[c]): int(n)
            for c, n in enumerate(np.bincount(left_out,
                                              minlength=len(oof.classes)))
            if n
        },
        num_issues=len(rows),
        rank_by=rank_by,
        filter_by=filter_by)
    return rows, summary


def per_image_loss(self_confidence: np.ndarray,
                   eps: float = 1e-12) -> np.ndarray:
    """Cross-entropy of each image, ``−log p(given label)`` (p clipped at
    ``eps`` so a zero probability gives a finite loss)."""
    p = np.asarray(self_confidence, dtype=np.float64)
    return -np.log(np.clip(p, eps, 1.0))


def robust_zscores(values: np.ndarray,
                   labels: np.ndarray,
                   min_count: int = 5
                   ) -> Tuple[np.ndarray, np.ndarray]:
    """Modified z-score of each value within its class.

    ``z = 0.6745 (x − median_c) / MAD_c`` (Iglewicz & Hoaglin 1993); where
    ``MAD_c`` is 0, ``(x − median_c) / (1.2533 · meanAD_c)``; where both are
    0 (every value of the class equal), z is 0.

    Args:
        values: ``(N,)`` e.g. per-image losses.
        labels: ``(N,)`` the class of each value.
        min_count: Classes with fewer values get NaN (a median and MAD of a
            handful of values say nothing).

    Returns:
        ``(z, median)``: the z-score of every value (NaN in classes below
        ``min_count``) and its class's median.
    """
    if isinstance(min_count, bool) or not isinstance(min_count, int) or \
            min_count < 1:
        raise ValueError(f'min_count={min_count!r} must be a positive '
                         'integer')
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels)
    if values.shape != labels.shape or values.ndim != 1:
        raise ValueError(f'values {values.shape} and labels {labels.shape} '
                         'must be 1-D arrays of the same length')
    z = np.full(values.shape, np.nan)
    median = np.full(values.shape, np.nan)
    for c in np.unique(labels):
        sel = labels == c
        x = values[sel]
        med = np.median(x)
        median[sel] = med
        if sel.sum() < min_count:
            continue
        dev = x - med
        mad = np.median(np.abs(dev))
        if mad > 0:
            z[sel] = MAD_TO_Z * dev / mad
        else:
            mean_ad = np.mean(np.abs(dev))
            z[sel] = MEAN_AD_TO_Z * dev / mean_ad if mean_ad > 0 else 0.0
    return z, median


def loss_outlier_issues(index: np.ndarray,
                        filename: Sequence[str],
                        gt_label: np.ndarray,
                        self_confidence: np.ndarray,
                        suggested_label: np.ndarray,
                        group_id: np.ndarray,
                        classes: Sequence[str],
                        threshold: float = DEFAULT_Z_THRESHOLD,
                        min_count: int = 5
                        ) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Images whose loss is an outlier within their given class, ranked.

    Args:
        index: ``(N,)`` position of each image in its dataset.
        filename: ``(N,)`` image paths ('' for in-memory images).
        gt_label: ``(N,)`` given labels.
        self_confidence: ``(N,)`` model probability of the given label.
        suggested_label: ``(N,)`` the model's argmax.
        group_id: ``(N,)`` group ids.
        classes: Class names.
        threshold: Robust z above which an image is an outlier.
        min_count: See :func:`robust_zscores`.

    Returns:
        ``(rows, summary)``: one row per outlier, by decreasing z, with
        :data:`ISSUE_COLUMNS` plus ``loss``, ``class_median_loss`` and
        ``robust_z``; the summary holds ``num_images``, ``num_issues``,
        ``threshold``, ``min_count`` and ``unscored_classes`` (classes
        below ``min_count``, with their counts).
    """
    if not isinstance(threshold, (int, float)) or isinstance(
            threshold, bool) or not math.isfinite(threshold):
        raise ValueError(f'threshold={threshold!r} must be a finite number')
    gt_label = np.asarray(gt_label, dtype=np.int64)
    loss = per_image_loss(self_confidence)
    z, median = robust_zscores(loss, gt_label, min_count)
    flagged = np.flatnonzero(np.nan_to_num(z, nan=-np.inf) > threshold)
    order = flagged[np.lexsort((-loss[flagged], -z[flagged]))]
    rows = _rows(order, np.asarray(index), filename, gt_label,
                 np.asarray(suggested_label), np.asarray(self_confidence),
                 np.asarray(group_id), classes,
                 dict(loss=loss, class_median_loss=median, robust_z=z))
    counts = np.bincount(gt_label, minlength=len(classes))
    summary = dict(
        num_images=int(len(gt_label)),
        num_issues=len(rows),
        threshold=float(threshold),
        min_count=min_count,
        unscored_classes={
            str(classes[c]): int(n)
            for c, n in enumerate(counts) if 0 < n < min_count
        })
    return rows, summary


def write_issue_csv(rows: Sequence[Dict[str, Any]], path: str) -> str:
    """Write issue rows (the columns of the first row, :data:`ISSUE_COLUMNS`
    first) to ``path``; a header alone when there is no row."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    columns = list(ISSUE_COLUMNS)
    if rows:
        columns += [k for k in rows[0] if k not in ISSUE_COLUMNS]
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({
                k: (f'{v:.6g}' if isinstance(v, float) else v)
                for k, v in row.items()
            })
    return path


def markdown_table(rows: Sequence[Dict[str, Any]], top: int = 20,
                   score: Optional[str] = None) -> str:
    """The first ``top`` rows as a markdown table (rank, index, file, given
    → suggested, p(given), group and the ``score`` column if given)."""
    head = ['rank', 'index', 'filename', 'given', 'suggested', 'p(given)',
            'group'] + ([score] if score else [])
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '|'.join(['---:', '---:', '---', '---', '---', '---:',
                             '---:'] + (['---:'] if score else [])) + '|']
    for row in rows[:top]:
        cells = [
            str(row['rank']), str(row['index']),
            osp.basename(row['filename']) or '-',
            f'{row["given_class"]} ({row["given_label"]})',
            f'{row["suggested_class"]} ({row["suggested_label"]})',
            f'{row["self_confidence"]:.3f}', str(row['group_id'])
        ]
        if score:
            cells.append(f'{row[score]:.3f}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
