"""Long-tail accuracy of exported models, and the few-shot guard.

Metrics come from mmlt's :class:`~mmlt.evaluation.LongTailMetric` (the
same numbers ``tools/test.py`` prints), fed with each backend's scores.
The guard compares an exported model with the fp32 PyTorch one: the
few-shot bin (training classes with fewer than 20 images, OLTR's split)
is where quantization error hurts first, since those classes' logits have
the smallest margins. A few-shot bin holds few test images, so one image
can move it by points: the guard fails only when the drop is beyond the
allowed threshold *and* beyond the noise, i.e. the paired, class-stratified
bootstrap interval of the change (:func:`mmlt.evaluation.metric_changes.
metric_changes`, the advisor's intervals) lies below 0.
"""
import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from mmlt.evaluation.metric_changes import metric_changes
from mmlt.evaluation.paired_bootstrap import Change

__all__ = ['long_tail_metrics', 'GuardResult', 'few_shot_guard',
           'check_max_drop']


def long_tail_metrics(scores: np.ndarray,
                      labels: Sequence[int],
                      groups: Sequence[Optional[int]],
                      class_counts: Optional[np.ndarray],
                      classes: Sequence[str]) -> Dict[str, Any]:
    """LongTailMetric's results (per-class lists included) for ``scores``
    ``(N, C)`` against ``labels``; ``groups`` may hold None (no group)."""
    from mmlt.evaluation import LongTailMetric
    metric = LongTailMetric(
        topk=(1, ),
        class_counts=class_counts,
        print_report=False,
        per_class_in_results=True)
    metric.dataset_meta = dict(classes=tuple(classes))
    samples = []
    for score, label, group in zip(scores, labels, groups):
        sample = dict(pred_score=torch.from_numpy(np.asarray(score)),
                      gt_label=int(label))
        if group is not None:
            sample['group_id'] = int(group)
        samples.append(sample)
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def check_max_drop(value: Any) -> float:
    """A guard threshold: a non-negative number of accuracy points."""
    if isinstance(value, bool) or not isinstance(value, Real) or \
            not value >= 0:
        raise ValueError(f'max few-shot drop must be a non-negative number '
                         f'of points, got {value!r}')
    return float(value)


@dataclass
class GuardResult:
    """The guard's verdict on one exported model.

    Attributes:
        passed: False only when the drop is beyond ``max_drop`` and beyond
            the noise (without an interval: beyond ``max_drop``).
        metric: ``'few_shot'``, or ``'balanced_accuracy'`` when there is no
            few-shot class (or no class counts).
        reference / value / drop: The metric of fp32 PyTorch, of the
            exported model, and reference - value (points).
        max_drop: The threshold.
        losers: ``(class, reference recall, recall)`` of the classes that
            lost most recall, largest loss first (at most five).
        change: The change value - reference (points) with its paired 95%
            interval; None without per-image scores.
    """
    passed: bool
    metric: str
    reference: float
    value: float
    drop: float
    max_drop: float
    losers: List[tuple] = field(default_factory=list)
    change: Optional[Change] = None

    @property
    def beyond_threshold(self) -> bool:
        return self.drop > self.max_drop + 1e-9

    @property
    def beyond_noise(self) -> Optional[bool]:
        """Whether the interval of the change lies below 0; None without
        an interval."""
        if self.change is None or not self.change.has_interval:
            return None
        return self.change.high < 0

    def _noise_text(self) -> str:
        if self.change is None:
            return 'no per-image scores for an interval: the threshold ' \
                'alone decides'
        if not self.change.has_interval:
            return f'no interval ({self.change.reason}): the threshold ' \
                'alone decides'
        where = 'excludes 0: beyond the noise' if self.beyond_noise else \
            'contains 0: within the noise'
        return (f'95% interval of the change [{self.change.low:+.2f}, '
                f'{self.change.high:+.2f}] {where}')

    def message(self, name: str) -> str:
        what = ('few-shot accuracy' if self.metric == 'few_shot' else
                'balanced accuracy (no few-shot class to guard)')
        threshold = ('beyond' if self.beyond_threshold else 'within') + \
            f' the allowed {self.max_drop:g}'
        verdict = 'passes' if self.passed else 'EXCEEDS'
        text = (f'{name}: {what} {self.value:.2f} vs {self.reference:.2f} '
                f'(fp32 PyTorch): drop {self.drop:.2f} points, '
                f'{threshold}; {self._noise_text()}: {verdict}')
        if self.losers:
            lost = ', '.join(f'{c} {r:.1f} -> {v:.1f}'
                             for c, r, v in self.losers)
            text += f'. Classes that lost most: {lost}'
        return text


def few_shot_guard(reference: Dict[str, Any],
                   candidate: Dict[str, Any],
                   max_drop: float,
                   classes: Sequence[str],
                   labels: Optional[Sequence[int]] = None,
                   reference_scores: Optional[np.ndarray] = None,
                   candidate_scores: Optional[np.ndarray] = None,
                   class_counts: Optional[np.ndarray] = None,
                   seed: int = 0) -> GuardResult:
    """Compare ``candidate``'s metrics with ``reference``'s.

    Args:
        reference, candidate: :func:`long_tail_metrics` results of fp32
            PyTorch and of the exported model.
        max_drop: Allowed drop in points.
        classes: Class names in label order.
        labels, reference_scores, candidate_scores, class_counts: The test
            images' labels, both models' ``(N, C)`` scores and the training
            class counts (the shot bins, as :func:`long_tail_metrics`):
            with them the guard has the paired bootstrap interval of the
            change and fails only beyond the noise; without, the threshold
            alone decides.
        seed: Of the bootstrap.
    """
    max_drop = check_max_drop(max_drop)
    metric = 'few_shot'
    ref = reference.get('few_shot', math.nan)
    if ref is None or (isinstance(ref, float) and math.isnan(ref)):
        metric = 'balanced_accuracy'
    ref_value = float(reference[metric])
    value = float(candidate[metric])
    drop = ref_value - value
    ref_recall = np.asarray(reference['per_class_recall'], float)
    new_recall = np.asarray(candidate['per_class_recall'], float)
    loss = np.nan_to_num(ref_recall - new_recall, nan=0.0)
    order = [int(c) for c in np.argsort(-loss, kind='stable')
             if loss[c] > 0][:5]
    losers = [(str(classes[c]), float(ref_recall[c]), float(new_recall[c]))
              for c in order]
    change = None
    if labels is not None and reference_scores is not None and \
            candidate_scores is not None:
        ref_scores = np.asarray(reference_scores)
        change = metric_changes(
            np.asarray(labels), ref_scores.argmax(1),
            np.asarray(candidate_scores).argmax(1), ref_scores.shape[1],
            class_counts=class_counts if metric == 'few_shot' else None,
            seed=seed)[metric]
    result = GuardResult(
        passed=True,
        metric=metric,
        reference=ref_value,
        value=value,
        drop=drop,
        max_drop=max_drop,
        losers=losers,
        change=change)
    result.passed = not (result.beyond_threshold
                         and result.beyond_noise is not False)
    return result
