"""Long-tail accuracy of exported models, and the few-shot guard.

Metrics come from mmlt's :class:`~mmlt.evaluation.LongTailMetric` (the
same numbers ``tools/test.py`` prints), fed with each backend's scores.
The guard compares an exported model with the fp32 PyTorch one: the
few-shot bin (training classes with fewer than 20 images, OLTR's split)
is where quantization error hurts first, since those classes' logits have
the smallest margins.
"""
import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

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
        passed: Whether the drop is within ``max_drop``.
        metric: ``'few_shot'``, or ``'balanced_accuracy'`` when there is no
            few-shot class (or no class counts).
        reference / value / drop: The metric of fp32 PyTorch, of the
            exported model, and reference - value (points).
        max_drop: The threshold.
        losers: ``(class, reference recall, recall)`` of the classes that
            lost most recall, largest loss first (at most five).
    """
    passed: bool
    metric: str
    reference: float
    value: float
    drop: float
    max_drop: float
    losers: List[tuple] = field(default_factory=list)

    def message(self, name: str) -> str:
        what = ('few-shot accuracy' if self.metric == 'few_shot' else
                'balanced accuracy (no few-shot class to guard)')
        verdict = 'within' if self.passed else 'EXCEEDS'
        text = (f'{name}: {what} {self.value:.2f} vs {self.reference:.2f} '
                f'(fp32 PyTorch): drop {self.drop:.2f} points, {verdict} '
                f'the allowed {self.max_drop:g}')
        if self.losers:
            lost = ', '.join(f'{c} {r:.1f} -> {v:.1f}'
                             for c, r, v in self.losers)
            text += f'. Classes that lost most: {lost}'
        return text


def few_shot_guard(reference: Dict[str, Any], candidate: Dict[str, Any],
                   max_drop: float, classes: Sequence[str]) -> GuardResult:
    """Compare ``candidate``'s metrics with ``reference``'s.

    Args:
        reference, candidate: :func:`long_tail_metrics` results of fp32
            PyTorch and of the exported model.
        max_drop: Allowed drop in points.
        classes: Class names in label order.
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
    return GuardResult(
        passed=bool(drop <= max_drop + 1e-9),
        metric=metric,
        reference=ref_value,
        value=value,
        drop=drop,
        max_drop=max_drop,
        losers=losers)
