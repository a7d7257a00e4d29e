"""Try every candidate on held-out predictions, score it against the model
as it is, and pick one.

For each candidate (:mod:`.candidates`): cross-fitting over ``K`` parts
stratified by class (:mod:`.cross_fitting`: tuned on ``K - 1`` parts,
applied to the held-out part, the scored parts pooled), then every metric's
change against the model's own predictions of the same images with a
paired, class-stratified bootstrap 95% interval
(:func:`mmlt.evaluation.metric_changes.metric_changes`), and its verdict
(helps / within noise / hurts). The parameters a user deploys are tuned
once more on all the images. Temperature scaling cannot change a
prediction; its calibration error is reported instead, overall and per
shot bin (:func:`mmlt.evaluation.calibration_error.calibration_changes`).

The recommended candidate is the one with the largest gain in the
selection metric (balanced accuracy; with a deployment prior, top-1 at
that prior) whose interval lies above 0; none when no interval does: keep
the model as it is.
"""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from scipy.special import softmax

from mmlt.evaluation.calibration_error import calibration_changes
from mmlt.evaluation.functional import confusion_matrix, per_class_scores
from mmlt.evaluation.metric_changes import group_key, metric_changes
from mmlt.evaluation.paired_bootstrap import (CONFIDENCE, DEFAULT_RESAMPLES,
                                              MIN_IMAGES, Change)
from mmlt.structures.shot_bins import FEW_SHOT_THR, MANY_SHOT_THR
from .candidates import Candidate, build_candidates
from .cross_fitting import DEFAULT_PARTS, cross_fit, stratified_parts
from .inputs import AdviceInputs, split_classes

__all__ = ['AdviceOptions', 'CandidateResult', 'Advice', 'advise',
           'check_lift_group']


@dataclass
class AdviceOptions:
    """How to tune and score (validated by :func:`advise`)."""
    num_parts: int = DEFAULT_PARTS
    seed: int = 0
    num_resamples: int = DEFAULT_RESAMPLES
    confidence: float = CONFIDENCE
    min_images: int = MIN_IMAGES
    lift_group: Optional[int] = None
    target_prior: Optional[np.ndarray] = None
    prior_source: str = ''
    many_shot_thr: float = MANY_SHOT_THR
    few_shot_thr: float = FEW_SHOT_THR


@dataclass
class CandidateResult:
    """A candidate, tried (or skipped) and scored.

    Attributes:
        candidate: What was tried.
        changes: ``{metric: Change}`` against the model as it is (points).
        part_params: The parameters tuned for each cross-fitting part.
        params: The parameters tuned on all images (what a user deploys).
        config_change: The config change for ``params`` (None: see
            ``candidate.config_note``).
        per_class_change: ``(C,)`` recall change per class (points; NaN for
            a class without images).
        logits: ``(N, C)`` the pooled cross-fitted logits.
    """
    candidate: Candidate
    changes: Dict[str, Change] = field(default_factory=dict)
    part_params: List[Any] = field(default_factory=list)
    params: Any = None
    config_change: Optional[Dict] = None
    per_class_change: Optional[np.ndarray] = None
    logits: Optional[np.ndarray] = None

    @property
    def key(self) -> str:
        return self.candidate.key


@dataclass
class Advice:
    """Everything the report shows."""
    inputs: AdviceInputs
    options: AdviceOptions
    results: List[CandidateResult]
    selection_metric: str
    recommended: Optional[CandidateResult]
    unscored_classes: List[str]
    group_ids: List[int]
    calibration: Optional[Tuple[Dict[str, float], Dict[str, float],
                                Dict[str, Change]]] = None
    notes: List[str] = field(default_factory=list)


def check_lift_group(group: Any, groups: Optional[np.ndarray]) -> int:
    """``group`` as an int that occurs in ``groups``; ValueError naming the
    groups that do (or saying the data has none)."""
    if isinstance(group, bool) or not isinstance(group, (int, np.integer)):
        raise ValueError(f'lift group {group!r} must be an integer group id')
    if groups is None:
        raise ValueError(f'--lift-group {group}: the scored images carry no '
                         'group_id (PackInputs(algorithm_keys=[\'group_id\'])'
                         ' and a group_id column in the annotations)')
    present = sorted(int(g) for g in np.unique(groups))
    if int(group) not in present:
        raise ValueError(f'--lift-group {group}: no scored image is in group '
                         f'{group}; the groups that occur are {present}')
    return int(group)


def _check_options(options: AdviceOptions, inputs: AdviceInputs) -> None:
    if isinstance(options.num_parts, bool) or not isinstance(
            options.num_parts, int) or options.num_parts < 2:
        raise ValueError(f'num_parts={options.num_parts!r} must be an '
                         'integer >= 2')
    if options.num_parts > inputs.labels.size:
        raise ValueError(f'num_parts={options.num_parts} is more than the '
                         f'{inputs.labels.size} scored images')
    if options.target_prior is not None and \
            np.size(options.target_prior) != inputs.num_classes:
        raise ValueError(f'the target prior has '
                         f'{np.size(options.target_prior)} weights but the '
                         f'model has {inputs.num_classes} classes')


def _per_class_recall(labels: np.ndarray, preds: np.ndarray,
                      num_classes: int) -> np.ndarray:
    scores = per_class_scores(confusion_matrix(labels, preds, num_classes))
    return np.where(scores.support > 0, 100 * scores.recall, np.nan)


def _try(cand: Candidate, inputs: AdviceInputs, parts: np.ndarray,
         options: AdviceOptions, base_recall: np.ndarray) -> CandidateResult:
    result = CandidateResult(cand)
    if cand.skipped:
        return result
    labels = inputs.labels
    if cand.tuned:
        result.logits, result.part_params = cross_fit(parts, cand.fit,
                                                      cand.apply)
    else:
        everything = np.arange(labels.size)
        result.logits = cand.apply(cand.fit(everything), everything)
    result.params = cand.fit(np.arange(labels.size))
    if cand.config is not None:
        result.config_change = cand.config(result.params)
    preds = result.logits.argmax(1)
    result.changes = metric_changes(
        labels, inputs.logits.argmax(1), preds, inputs.num_classes,
        class_counts=inputs.class_counts, groups=inputs.groups,
        target_prior=options.target_prior,
        many_shot_thr=options.many_shot_thr,
        few_shot_thr=options.few_shot_thr,
        num_resamples=options.num_resamples, confidence=options.confidence,
        min_images=options.min_images, seed=options.seed)
    result.per_class_change = _per_class_recall(
        labels, preds, inputs.num_classes) - base_recall
    return result


def advise(inputs: AdviceInputs, options: AdviceOptions) -> Advice:
    """Try, score and pick (module docstring)."""
    _check_options(options, inputs)
    if options.lift_group is not None:
        check_lift_group(options.lift_group, inputs.groups)
    selection = 'balanced_accuracy' if options.target_prior is None else \
        'target_top1'
    parts = stratified_parts(inputs.labels, options.num_parts, options.seed)
    base_recall = _per_class_recall(inputs.labels,
                                    inputs.logits.argmax(1),
                                    inputs.num_classes)
    candidates = build_candidates(inputs, options.lift_group,
                                  options.target_prior, options.prior_source)
    results = [_try(c, inputs, parts, options, base_recall)
               for c in candidates]
    gains = [(r.changes[selection].delta, i) for i, r in enumerate(results)
             if selection in r.changes and r.changes[selection].verdict ==
             'helps']
    recommended = results[max(gains)[1]] if gains else None
    group_ids = [] if inputs.groups is None else [
        int(g) for g in np.unique(inputs.groups)]
    advice = Advice(
        inputs=inputs, options=options, results=results,
        selection_metric=selection, recommended=recommended,
        unscored_classes=split_classes(inputs.labels, inputs.classes),
        group_ids=group_ids)
    temperature = next((r for r in results
                        if r.candidate.calibration_only and
                        r.logits is not None), None)
    if temperature is not None:
        advice.calibration = calibration_changes(
            inputs.labels, softmax(inputs.logits, axis=1),
            softmax(temperature.logits, axis=1), inputs.class_counts,
            options.many_shot_thr, options.few_shot_thr,
            num_resamples=options.num_resamples,
            confidence=options.confidence, min_images=options.min_images,
            seed=options.seed)
    singles = int((np.bincount(inputs.labels) == 1).sum())
    if singles:
        advice.notes.append(
            f'{singles} classes have one scored image: the stratified '
            'resampling draws it every time, so they add no spread to the '
            'intervals')
    if options.lift_group is not None:
        advice.notes.append(
            f'group {options.lift_group}: '
            f'{int((inputs.groups == options.lift_group).sum())} scored '
            f'images ({group_key(options.lift_group)} below)')
    return advice
