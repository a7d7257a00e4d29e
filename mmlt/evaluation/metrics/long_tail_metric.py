"""Long-tailed classification metric: top-k, balanced and shot accuracies."""
import os
import os.path as osp
import re
from numbers import Integral, Real
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmlt.registry import METRICS
from mmlt.structures.long_tail_context import check_counts
from mmlt.structures import (PACK_GROUP_ID, GroupIdError, has_group_id,
                             read_optional_group_ids)
from ..functional import (FEW_SHOT_THR, MANY_SHOT_THR, SHOT_NAMES,
                          balanced_accuracy, confusion_matrix,
                          group_class_recall, gt_rank, masked_mean_recall,
                          per_class_scores, shot_masks, topk_accuracy,
                          validated_mean, validated_min, validated_std,
                          weighted_mean)
from ..report import (format_report, per_class_rows, write_per_class_csv,
                      write_per_class_json)

PathLike = Union[str, 'os.PathLike[str]']


def _check_class_counts(counts: Any) -> Optional[np.ndarray]:
    """Validate training images per class; return an int64 array or None."""
    if counts is None:
        return None
    if isinstance(counts, torch.Tensor):
        counts = counts.detach().cpu().numpy()
    return check_counts(counts, 'class_counts')


def _check_threshold(value: Any, name: str) -> float:
    """Validate a shot threshold (a non-negative number)."""
    if isinstance(value, bool) or not isinstance(value, Real) or value < 0:
        raise ValueError(f'{name} must be a non-negative number, got '
                         f'{value!r}.')
    return value


def _check_topk(topk: Any) -> tuple:
    """Validate ``topk`` (a positive int or a sequence of them)."""
    ks = (topk, ) if isinstance(topk, Integral) else topk
    if not isinstance(ks, Sequence) or isinstance(ks, str) or not ks or \
            any(isinstance(k, bool) or not isinstance(k, Integral) or k < 1
                for k in ks):
        raise ValueError('topk must be a positive int or a non-empty '
                         f'sequence of positive ints, got {topk!r}.')
    return tuple(int(k) for k in ks)


def _to_int(value: Any, name: str) -> int:
    """Read an int from an int, or a tensor/array/list of one element."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.size != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f'{name} must be one integer, got {value!r}.')
    return int(array.reshape(-1)[0])


def class_keys(class_names: Sequence[str]) -> List[str]:
    """One result-key segment per class name, safe for loggers and
    TensorBoard.

    Every run of characters other than letters, digits, ``_``, ``.`` and
    ``-`` (spaces, slashes...) becomes one ``_``, so a name never adds a
    level to the key (``long_tail/recall/<key>``) and TensorBoard does not
    rewrite the tag (it replaces the same characters, with a warning). A
    name left empty becomes its class index; a key that another class
    already has gets ``_<class index>`` appended, so every class keeps its
    own key.

    Args:
        class_names (Sequence[str]): The C class names, in label order.

    Returns:
        List[str]: C distinct keys.
    """
    keys: List[str] = []
    for index, name in enumerate(class_names):
        key = re.sub(r'[^\w.\-]+', '_', str(name)).strip('_') or str(index)
        if key in keys:
            key = f'{key}_{index}'
        keys.append(key)
    return keys


def _group_prediction(sample: dict) -> Optional[int]:
    """The predicted group of a sample with a group prediction and a
    ``group_id``, else None."""
    if not has_group_id(sample):
        return None
    if 'pred_group_score' in sample:
        score = torch.as_tensor(sample['pred_group_score']).detach()
        return int(score.float().cpu().reshape(-1).argmax())
    if 'pred_group_label' in sample:
        return _to_int(sample['pred_group_label'], 'pred_group_label')
    return None


@METRICS.register_module()
class LongTailMetric(BaseMetric):
    """Accuracy report for long-tailed and group-imbalanced classification.

    Computes, from the argmax of ``pred_score`` (not ``pred_label``, which
    MMPretrain's ``AverageClsScoreTTA`` takes from the first view):

    - ``top{k}``: top-k accuracy, as MMPretrain's ``Accuracy``;
    - ``num_not_validated``: the classes without any image in the evaluated
      set (e.g. a class a stratified k-fold keeps in training because it
      has fewer images than folds). They have no recall, so every class
      average below is over the *validated* classes :math:`C'` (those with
      images); the report names them;
    - ``balanced_accuracy``: mean per-class recall over the validated
      classes (:math:`\\frac{1}{|C'|}\\sum_{c \\in C'} TP_c / N_c`,
      scikit-learn's ``balanced_accuracy_score``);
    - ``macro_f1``: mean F1 over the validated classes (scikit-learn's
      ``f1_score(average='macro', labels=C')``, an undefined F1 counting as
      0); ``weighted_f1``: weighted by test images, so over the same
      classes;
    - ``worst_class_accuracy`` and its index ``worst_class`` (a validated
      class);
    - ``worst_class_f1``: the smallest F1 of a validated class, and
      ``per_class_f1_std``: the population standard deviation (``ddof=0``)
      of the validated classes' F1 (how unevenly the classes fare);
    - ``many_shot`` / ``medium_shot`` / ``few_shot`` and ``num_many`` /
      ``num_medium`` / ``num_few`` when training class counts are known,
      split as in Liu et al., "Large-Scale Long-Tailed Recognition in an
      Open World" (OLTR), CVPR 2019: many = count > ``many_shot_thr``,
      few = count < ``few_shot_thr``, medium = the rest. A bin's accuracy
      is the mean recall of its validated classes (``nan`` if none);
      ``num_*`` count all its classes (the report says how many are not
      validated);
    - ``group{g}_accuracy``: top-1 accuracy of each group id present
      (data without any ``group_id`` is group 0; data where only some
      samples have one is an error, see :mod:`mmlt.structures.group_id`);
    - ``group_head_accuracy``: when samples carry a group prediction
      (``pred_group_score`` / ``pred_group_label``, set by mmlt's
      ``GroupMultiTaskHead``), the accuracy of that prediction against
      ``group_id``, over the samples that have both (the argmax of
      ``pred_group_score`` when present, like the class prediction);
    - ``recall/<class>`` and ``f1/<class>``: one scalar per class, only
      with ``log_per_class=True``, so that MMEngine's logger and every vis
      backend (``TensorboardVisBackend``: one curve per class) record them;
      ``<class>`` is the class name made safe for keys by
      :func:`class_keys`; ``nan`` for a class not validated. The groups'
      accuracies are the ``group{g}_accuracy`` scalars above;
    - ``per_class_precision`` / ``per_class_recall`` / ``per_class_f1``:
      lists over all C classes, only with ``per_class_in_results=True``
      (they are always in the printed report and the per-class files; as
      results, mmengine's logger would print the whole lists every
      evaluation); recall and F1 are ``nan`` for a class not validated;
    - ``group{g}_per_class_recall``: for each group g present (the groups
      of ``group{g}_accuracy``), each class's recall among its images in
      group g, ``nan`` for a class with no image in g; only with
      ``per_class_in_results=True``. The per-class files add, per group,
      the class's test images in g and this recall (an empty CSV cell /
      JSON ``null`` where there is no image); the printed report shows it
      as a class x group table for 2 to 6 groups.

    All values are in percent. Each sample is reduced in :meth:`process` to
    a few ints (argmax, label, rank of the label, number of classes, group),
    so results gathered across ranks are small and every number is computed
    from the gathered results.

    Args:
        topk (int | Sequence[int]): The k of the top-k accuracies. A k larger
            than the number of classes is skipped with a warning.
        many_shot_thr (float): Classes with more training images are
            many-shot (OLTR: 100).
        few_shot_thr (float): Classes with fewer training images are
            few-shot (OLTR: 20). Must be smaller than ``many_shot_thr``.
        class_counts (Sequence[int], optional): Training images per class.
            Usually left None and set at run time by mmlt's
            ``LongTailContextHook`` through :meth:`set_class_counts`.
        out_dir (str, optional): Folder for the files below; set at run time
            to the work_dir by the hook through :meth:`set_out_dir`.
        save_per_class (bool): Write ``per_class.csv`` and
            ``per_class.json`` to ``out_dir``.
        save_confusion_matrix (bool): Write ``confusion_matrix.png`` (and
            ``accuracy_vs_count.png`` when class counts are known) to
            ``out_dir``.
        print_report (bool): Log a text report (summary and per-class table)
            after each evaluation.
        per_class_in_results (bool): Also return the per-class lists.
        log_per_class (bool): Also return each class's recall and F1 as
            scalars (``recall/<class>``, ``f1/<class>``), for the log and
            TensorBoard.
        collect_device (str): ``'cpu'`` or ``'gpu'``, as in mmengine.
        prefix (str, optional): Prefix of the metric keys; defaults to
            ``'long_tail'``.
        collect_dir (str, optional): Folder for cpu collection, as in
            mmengine.
    """

    default_prefix: Optional[str] = 'long_tail'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 many_shot_thr: float = MANY_SHOT_THR,
                 few_shot_thr: float = FEW_SHOT_THR,
                 class_counts: Optional[Sequence[int]] = None,
                 out_dir: Optional[PathLike] = None,
                 save_per_class: bool = False,
                 save_confusion_matrix: bool = False,
                 print_report: bool = True,
                 per_class_in_results: bool = False,
                 log_per_class: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        if collect_device not in ('cpu', 'gpu'):
            raise ValueError("collect_device must be 'cpu' or 'gpu', got "
                             f'{collect_device!r}.')
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.topk = _check_topk(topk)
        self.many_shot_thr = _check_threshold(many_shot_thr, 'many_shot_thr')
        self.few_shot_thr = _check_threshold(few_shot_thr, 'few_shot_thr')
        if self.few_shot_thr >= self.many_shot_thr:
            raise ValueError(f'few_shot_thr ({few_shot_thr}) must be smaller '
                             f'than many_shot_thr ({many_shot_thr}).')
        for name, flag in (('save_per_class', save_per_class),
                           ('save_confusion_matrix', save_confusion_matrix),
                           ('print_report', print_report),
                           ('per_class_in_results', per_class_in_results),
                           ('log_per_class', log_per_class)):
            if not isinstance(flag, bool):
                raise ValueError(f'{name} must be a bool, got {flag!r}.')
        self.save_per_class = save_per_class
        self.save_confusion_matrix = save_confusion_matrix
        self.print_report = print_report
        self.per_class_in_results = per_class_in_results
        self.log_per_class = log_per_class
        self.class_counts: Optional[np.ndarray] = None
        self.out_dir: Optional[str] = None
        self.set_class_counts(class_counts)
        self.set_out_dir(out_dir)
        self._warned: set = set()

    def set_long_tail_context(self, context) -> None:
        """Take the training set's long-tail context (``LongTailContextHook``
        hands it over before validation and testing): its class counts
        define the shot bins."""
        self.set_class_counts(context.class_counts)

    def set_class_counts(self, counts: Optional[Sequence[int]]) -> None:
        """Set the training images per class (None to forget them).

        Raises:
            ValueError: If ``counts`` is not a non-empty 1-D sequence of
                non-negative integers.
        """
        self.class_counts = _check_class_counts(counts)

    def set_out_dir(self, path: Optional[PathLike]) -> None:
        """Set the folder that files are written to (None to write none).

        Raises:
            ValueError: If ``path`` is neither None nor a path.
        """
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise ValueError(f'out_dir must be a path or None, got {path!r}.')
        self.out_dir = None if path is None else os.fspath(path)

    def _warn_once(self, key: str, msg: str) -> None:
        """Log ``msg`` as a warning the first time ``key`` is seen."""
        if key not in self._warned:
            self._warned.add(key)
            MMLogger.get_current_instance().warning(msg)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Reduce each sample to argmax, label, label rank and group.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): ``DataSample.to_dict()`` outputs
                with ``pred_score`` (shape ``(C,)``), ``gt_label`` and
                optionally ``group_id`` and a group prediction
                (``pred_group_score`` / ``pred_group_label``).

        Raises:
            ValueError: If a sample lacks ``pred_score``/``gt_label`` or its
                label is outside ``[0, C)``; if some samples of the batch
                have a ``group_id`` and others not
                (:func:`mmlt.structures.read_optional_group_ids`).
        """
        groups = read_optional_group_ids(data_samples, 'LongTailMetric')
        for i, sample in enumerate(data_samples):
            for key in ('pred_score', 'gt_label'):
                if key not in sample:
                    raise ValueError(f'LongTailMetric needs {key!r} in each '
                                     f'data sample, got keys {list(sample)}.')
            score = torch.as_tensor(sample['pred_score']).detach()
            score = score.float().cpu().reshape(-1).numpy()
            label = _to_int(sample['gt_label'], 'gt_label')
            if not 0 <= label < score.size:
                raise ValueError(f'gt_label {label} is outside [0, '
                                 f'{score.size}).')
            self.results.append({
                'pred_label': int(score.argmax()),
                'gt_label': label,
                'gt_rank': int(gt_rank(score, label)),
                'num_classes': int(score.size),
                'group_id': 0 if groups is None else groups[i],
                'has_group_id': groups is not None,
                'pred_group': _group_prediction(sample),
            })

    def compute_metrics(self, results: List[dict]) -> Dict[str, Any]:
        """Compute all metrics from the per-sample results of all ranks.

        Args:
            results (List[dict]): Records made by :meth:`process`.

        Returns:
            Dict[str, Any]: The metrics described in the class docstring.

        Raises:
            ValueError: If samples disagree on the number of classes, a label
                is out of range, only some samples have a ``group_id``, or
                ``class_counts`` has another length than the number of
                classes.
        """
        if not results:
            return {}
        num_classes = {r['num_classes'] for r in results}
        if len(num_classes) != 1:
            raise ValueError('All pred_score must have the same number of '
                             f'classes, got {sorted(num_classes)}.')
        num = num_classes.pop()
        gt = np.array([r['gt_label'] for r in results], dtype=np.int64)
        pred = np.array([r['pred_label'] for r in results], dtype=np.int64)
        ranks = np.array([r['gt_rank'] for r in results], dtype=np.int64)
        groups = np.array([r['group_id'] for r in results], dtype=np.int64)
        with_group = sum(bool(r.get('has_group_id', True)) for r in results)
        if 0 < with_group < len(results):
            raise GroupIdError(
                f'LongTailMetric: {with_group} of the {len(results)} '
                'evaluated samples have a group_id and the others not: '
                f'{PACK_GROUP_ID} for every sample, or for none (then all '
                'are group 0)')
        bad = gt[(gt < 0) | (gt >= num)]
        if bad.size:
            raise ValueError(f'gt_label {bad[0]} is outside [0, {num}).')
        counts = self.class_counts
        if counts is not None and counts.size != num:
            raise ValueError(f'class_counts has {counts.size} entries but '
                             f'the scores have {num} classes.')

        metrics: Dict[str, Any] = {}
        for k in self.topk:
            if k > num:
                self._warn_once(
                    f'top{k}', f'LongTailMetric: top-{k} accuracy skipped, '
                    f'there are only {num} classes.')
                continue
            metrics[f'top{k}'] = 100 * topk_accuracy(ranks, k)
        confusion = confusion_matrix(gt, pred, num)
        scores = per_class_scores(confusion)
        support = scores.support
        validated = support > 0
        # percent; nan for a class not validated (no recall to report)
        recall_pct = np.where(validated, 100 * scores.recall, np.nan)
        f1_pct = np.where(validated, 100 * scores.f1, np.nan)
        metrics['num_not_validated'] = int((~validated).sum())
        metrics['balanced_accuracy'] = 100 * balanced_accuracy(
            scores.recall, support)
        metrics['macro_f1'] = 100 * validated_mean(scores.f1, support)
        metrics['weighted_f1'] = 100 * weighted_mean(scores.f1, support)
        metrics['worst_class_f1'] = 100 * validated_min(scores.f1, support)
        metrics['per_class_f1_std'] = 100 * validated_std(scores.f1, support)
        present_recall = np.where(support > 0, scores.recall, np.inf)
        worst = int(np.argmin(present_recall))
        metrics['worst_class_accuracy'] = 100 * float(scores.recall[worst])
        metrics['worst_class'] = worst

        shots = None
        if counts is not None:
            masks = shot_masks(counts, self.many_shot_thr, self.few_shot_thr)
            for name in SHOT_NAMES:
                metrics[f'{name}_shot'] = 100 * masked_mean_recall(
                    scores.recall, support, masks[name])
            for name in SHOT_NAMES:
                metrics[f'num_{name}'] = int(masks[name].sum())
            shots = [
                next(n for n in SHOT_NAMES if masks[n][c])
                for c in range(num)
            ]
        else:
            self._warn_once(
                'no_counts', 'LongTailMetric: training class counts are '
                'unknown, so many/medium/few-shot accuracies are skipped. '
                'Pass `class_counts` to the metric or add mmlt\'s '
                "`dict(type='LongTailContextHook')` to `custom_hooks`.")
        for g in np.unique(groups):
            in_group = groups == g
            metrics[f'group{g}_accuracy'] = 100 * float(
                np.mean(pred[in_group] == gt[in_group]))
        group_hits = [
            r['pred_group'] == r['group_id'] for r in results
            if r.get('pred_group') is not None
        ]
        if group_hits:
            metrics['group_head_accuracy'] = 100 * float(np.mean(group_hits))
        by_group = group_class_recall(gt, pred, groups, num)
        group_ids = by_group.group_ids.tolist()
        names = self._class_names(num)
        if self.log_per_class:
            keys = class_keys(names)
            for kind, values in (('recall', recall_pct), ('f1', f1_pct)):
                for key, value in zip(keys, values):
                    metrics[f'{kind}/{key}'] = float(value)
        if self.per_class_in_results:
            metrics['per_class_precision'] = (100 *
                                              scores.precision).tolist()
            metrics['per_class_recall'] = recall_pct.tolist()
            metrics['per_class_f1'] = f1_pct.tolist()
            for g, recall in zip(group_ids, by_group.recall):
                metrics[f'group{g}_per_class_recall'] = (100 *
                                                         recall).tolist()

        if self.print_report or self.out_dir is not None:
            rows = per_class_rows(
                names, support, 100 * scores.precision, recall_pct, f1_pct,
                counts, shots, group_ids, by_group.support,
                100 * by_group.recall)
            if self.print_report:
                MMLogger.get_current_instance().info(
                    '\n' + format_report(metrics, rows, self.many_shot_thr,
                                         self.few_shot_thr, group_ids))
            if self.out_dir is not None:
                self._write_files(metrics, rows, confusion, scores.recall,
                                  support)
        return metrics

    def _class_names(self, num_classes: int) -> List[str]:
        """Class names from ``dataset_meta``, else the indices as str."""
        classes = (self.dataset_meta or {}).get('classes')
        if classes is not None and len(classes) == num_classes:
            return [str(c) for c in classes]
        if classes is not None:
            self._warn_once(
                'names', f'LongTailMetric: dataset_meta has {len(classes)} '
                f'classes but the scores have {num_classes}; using class '
                'indices as names.')
        return [str(i) for i in range(num_classes)]

    def _write_files(self, metrics: Dict[str, Any], rows: List[dict],
                     confusion: np.ndarray, recall: np.ndarray,
                     support: np.ndarray) -> None:
        """Write the files asked for by the flags into ``out_dir``."""
        out_dir = self.out_dir
        names = [r['class_name'] for r in rows]
        written = []
        if self.save_per_class:
            # the per-class scalars of log_per_class are in the rows
            summary = {
                k: v
                for k, v in metrics.items()
                if not isinstance(v, list) and '/' not in k
            }
            summary.update(
                many_shot_thr=self.many_shot_thr,
                few_shot_thr=self.few_shot_thr)
            written.append(
                write_per_class_csv(rows, osp.join(out_dir, 'per_class.csv')))
            written.append(
                write_per_class_json(summary, rows,
                                     osp.join(out_dir, 'per_class.json')))
        if self.save_confusion_matrix:
            # Imported here so that matplotlib loads only when plotting.
            from mmlt.visualization.plots import (plot_accuracy_vs_count,
                                                  plot_confusion_matrix)
            written.append(
                plot_confusion_matrix(
                    confusion, names,
                    osp.join(out_dir, 'confusion_matrix.png')))
            if self.class_counts is not None:
                accuracy = np.where(support > 0, 100 * recall, np.nan)
                written.append(
                    plot_accuracy_vs_count(
                        self.class_counts, accuracy, names,
                        osp.join(out_dir, 'accuracy_vs_count.png'),
                        self.many_shot_thr, self.few_shot_thr))
        if written:
            MMLogger.get_current_instance().info(
                'LongTailMetric wrote ' + ', '.join(written))
