"""Long-tailed classification metric: top-k, balanced and shot accuracies."""
import os
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmlt.registry import METRICS
from mmlt.structures import read_optional_group_ids
from ..functional import (FEW_SHOT_THR, MANY_SHOT_THR, SHOT_NAMES,
                          GroupClassRecall, PerClassScores,
                          balanced_accuracy, class_shots,
                          confusion_matrix, group_accuracies,
                          group_class_recall, masked_mean_recall,
                          per_class_scores, shot_masks, topk_accuracy,
                          validated_mean, validated_min, validated_std,
                          weighted_mean, worst_validated_class)
from ..report import (format_report, per_class_rows, write_per_class_files,
                      write_plots)
from .long_tail_records import (Records, check_class_counts,
                                check_shot_bin_counts, check_threshold,
                                check_topk, class_keys, reduce_sample,
                                stack_records)

__all__ = ['LongTailMetric', 'class_keys', 'class_average_metrics',
           'shot_metrics']

PathLike = Union[str, 'os.PathLike[str]']


def class_average_metrics(scores: PerClassScores) -> Dict[str, Any]:
    """The class-average metrics in percent (over the validated classes):
    ``num_not_validated``, balanced accuracy, macro and weighted F1, the
    worst class's F1, the F1 spread, and the worst class with its
    accuracy."""
    support = scores.support
    worst = worst_validated_class(scores.recall, support)
    return {
        'num_not_validated': int((support == 0).sum()),
        'balanced_accuracy': 100 * balanced_accuracy(scores.recall, support),
        'macro_f1': 100 * validated_mean(scores.f1, support),
        'weighted_f1': 100 * weighted_mean(scores.f1, support),
        'worst_class_f1': 100 * validated_min(scores.f1, support),
        'per_class_f1_std': 100 * validated_std(scores.f1, support),
        'worst_class_accuracy': 100 * float(scores.recall[worst]),
        'worst_class': worst,
    }


def shot_metrics(scores: PerClassScores,
                 masks: Dict[str, np.ndarray]) -> Dict[str, Any]:
    """Each shot bin's mean recall over its validated classes (percent,
    ``nan`` if none), then each bin's number of classes."""
    metrics: Dict[str, Any] = {
        f'{name}_shot': 100 * masked_mean_recall(scores.recall,
                                                 scores.support, masks[name])
        for name in SHOT_NAMES
    }
    metrics.update(
        {f'num_{name}': int(masks[name].sum())
         for name in SHOT_NAMES})
    return metrics


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
      ``num_medium`` / ``num_few`` when training class counts are known
      (or ``shot_bin_counts`` is given, which then defines the bins), split
      as in Liu et al., "Large-Scale Long-Tailed Recognition in an
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
        shot_bin_counts (Sequence[int] | dict, optional): The counts that
            define the shot bins instead of the training counts, so that
            many/medium/few name the same classes for a model trained on
            another draw: a list (images per class) or a long-tail profile,
            the keyword arguments of :func:`mmlt.datasets.long_tail_counts`
            (e.g. ``dict(num_classes=10, max_count=1000,
            imbalance_ratio=100, profile='exp')``: the protocol's
            long-tailed draw, for the oracle trained on a balanced draw,
            whose own counts would put every class in one bin). None
            (default): the training counts. The training counts still fill
            the per-class ``train_count`` column.
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
                 shot_bin_counts: Union[Sequence[int], dict, None] = None,
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
        self.topk = check_topk(topk)
        self.many_shot_thr = check_threshold(many_shot_thr, 'many_shot_thr')
        self.few_shot_thr = check_threshold(few_shot_thr, 'few_shot_thr')
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
        self.shot_bin_counts = check_shot_bin_counts(shot_bin_counts)
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
        self.class_counts = check_class_counts(counts)

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
            self.results.append(
                reduce_sample(sample, None if groups is None else groups[i]))

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
        records = stack_records(results, self.class_counts)
        num = records.num_classes
        confusion = confusion_matrix(records.gt, records.pred, num)
        scores = per_class_scores(confusion)
        metrics = self._topk_metrics(records.ranks, num)
        metrics.update(class_average_metrics(scores))
        shots = None
        bin_counts = self._bin_counts(num)
        if bin_counts is not None:
            masks = shot_masks(bin_counts, self.many_shot_thr,
                               self.few_shot_thr)
            metrics.update(shot_metrics(scores, masks))
            shots = class_shots(masks)
        else:
            self._warn_once(
                'no_counts', 'LongTailMetric: training class counts are '
                'unknown, so many/medium/few-shot accuracies are skipped. '
                'Pass `class_counts` to the metric or add mmlt\'s '
                "`dict(type='LongTailContextHook')` to `custom_hooks`.")
        metrics.update(self._group_metrics(records))
        # percent; nan for a class not validated (no recall to report)
        validated = scores.support > 0
        recall_pct = np.where(validated, 100 * scores.recall, np.nan)
        f1_pct = np.where(validated, 100 * scores.f1, np.nan)
        by_group = group_class_recall(records.gt, records.pred,
                                      records.groups, num)
        names = self._class_names(num)
        metrics.update(
            self._per_class_metrics(names, scores, recall_pct, f1_pct,
                                    by_group))
        if self.print_report or self.out_dir is not None:
            rows = per_class_rows(
                names, scores.support, 100 * scores.precision, recall_pct,
                f1_pct, self.class_counts, shots, by_group.group_ids.tolist(),
                by_group.support, 100 * by_group.recall)
            self._report(metrics, rows, by_group.group_ids.tolist(),
                         confusion, scores)
        return metrics

    def _bin_counts(self, num_classes: int) -> Optional[np.ndarray]:
        """The counts the shot bins are defined by: ``shot_bin_counts``
        when given (checked against the number of classes), else the
        training counts."""
        if self.shot_bin_counts is None:
            return self.class_counts
        if self.shot_bin_counts.size != num_classes:
            raise ValueError(
                f'shot_bin_counts has {self.shot_bin_counts.size} entries '
                f'but the scores have {num_classes} classes.')
        return self.shot_bin_counts

    def _topk_metrics(self, ranks: np.ndarray, num: int) -> Dict[str, Any]:
        """``top{k}`` in percent for each k of ``topk`` up to the number of
        classes (a larger k is skipped with a warning, once)."""
        metrics: Dict[str, Any] = {}
        for k in self.topk:
            if k > num:
                self._warn_once(
                    f'top{k}', f'LongTailMetric: top-{k} accuracy skipped, '
                    f'there are only {num} classes.')
                continue
            metrics[f'top{k}'] = 100 * topk_accuracy(ranks, k)
        return metrics

    @staticmethod
    def _group_metrics(records: Records) -> Dict[str, Any]:
        """``group{g}_accuracy`` for each group present and, when samples
        carry a group prediction, ``group_head_accuracy`` (percent)."""
        metrics: Dict[str, Any] = {
            f'group{g}_accuracy': 100 * accuracy
            for g, accuracy in group_accuracies(
                records.gt, records.pred, records.groups).items()
        }
        if records.group_hits:
            metrics['group_head_accuracy'] = 100 * float(
                np.mean(records.group_hits))
        return metrics

    def _per_class_metrics(self, names: List[str], scores: PerClassScores,
                           recall_pct: np.ndarray, f1_pct: np.ndarray,
                           by_group: GroupClassRecall) -> Dict[str, Any]:
        """The per-class results the flags ask for: scalars per class
        (``log_per_class``) and lists over the classes
        (``per_class_in_results``)."""
        metrics: Dict[str, Any] = {}
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
            for g, recall in zip(by_group.group_ids.tolist(),
                                 by_group.recall):
                metrics[f'group{g}_per_class_recall'] = (100 *
                                                         recall).tolist()
        return metrics

    def _report(self, metrics: Dict[str, Any], rows: List[dict],
                group_ids: List[int], confusion: np.ndarray,
                scores: PerClassScores) -> None:
        """Log the text report and write the files the flags ask for."""
        if self.print_report:
            MMLogger.get_current_instance().info(
                '\n' + format_report(metrics, rows, self.many_shot_thr,
                                     self.few_shot_thr, group_ids))
        if self.out_dir is not None:
            self._write_files(metrics, rows, confusion, scores.recall,
                              scores.support)

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
        written = []
        if self.save_per_class:
            written += write_per_class_files(self.out_dir, metrics, rows,
                                             self.many_shot_thr,
                                             self.few_shot_thr)
        if self.save_confusion_matrix:
            written += write_plots(self.out_dir, confusion, rows,
                                   self.class_counts, recall, support,
                                   self.many_shot_thr, self.few_shot_thr)
        if written:
            MMLogger.get_current_instance().info(
                'LongTailMetric wrote ' + ', '.join(written))
