"""The method advisor checked against a test set, on arrays: what the
advisor predicts on held-out validation images, what the same fixes with
the parameters it deploys do on the test images, and how far the EM
estimate of a shifted class prior gets on re-sampled test images. The
``advisor-check`` section (:mod:`benchmarks.advisor_check`, the command)
keeps one :func:`seed_record` per checkpoint and renders from those.

A helper below the command: it imports :mod:`mmlt` and nothing of
``benchmarks``. Every figure is in points (percent); a change is
``{delta, low, high, verdict}`` (:func:`change_record`).
"""
import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from scipy.special import softmax

from mmlt.analysis.advice.advisor import AdviceOptions, advise
from mmlt.analysis.advice.candidates import build_candidates
from mmlt.analysis.advice.inputs import AdviceInputs
from mmlt.analysis.advice.prior_shift import (PROFILES, em_prior,
                                              prior_shift_bias,
                                              profile_weights,
                                              resample_to_profile)
from mmlt.evaluation.calibration_error import calibration_changes
from mmlt.evaluation.metric_changes import (group_key, metric_changes,
                                            row_metrics)
from mmlt.evaluation.paired_bootstrap import Change
from mmlt.structures.shot_bins import FEW_SHOT_THR, MANY_SHOT_THR, shot_masks

__all__ = ['METRICS', 'metrics_of', 'change_record', 'base_metrics',
           'measure_candidates', 'measure_prior_shift', 'seed_record']

#: The metrics a record keeps for every change, in table order (and each
#: group's accuracy, ``group_<g>``, on images with group ids).
METRICS = ('balanced_accuracy', 'few_shot', 'medium_shot', 'many_shot',
           'top1', 'macro_f1', 'worst_class_f1')


def metrics_of(inputs: AdviceInputs) -> Tuple[str, ...]:
    """:data:`METRICS` and, when ``inputs`` has group ids, each group's
    accuracy (:func:`~mmlt.evaluation.metric_changes.group_key`)."""
    if inputs.groups is None:
        return METRICS
    return METRICS + tuple(group_key(g) for g in np.unique(inputs.groups))


def _num(value: Optional[float]) -> Optional[float]:
    return None if value is None or math.isnan(value) else float(value)


def change_record(change: Change) -> Dict[str, Any]:
    """A :class:`Change` as JSON (None for an undefined end)."""
    return dict(delta=_num(change.delta), low=_num(change.low),
                high=_num(change.high), verdict=change.verdict)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [round(float(v), 6) for v in value]
    if isinstance(value, (np.floating, float)):
        return round(float(value), 6)
    return value


def base_metrics(inputs: AdviceInputs) -> Dict[str, float]:
    """The model's own metrics (points) on ``inputs``' images."""
    masks = shot_masks(inputs.class_counts, MANY_SHOT_THR, FEW_SHOT_THR)
    groups = None if inputs.groups is None else inputs.groups[None]
    values = row_metrics(
        inputs.labels[None], inputs.logits.argmax(1)[None],
        inputs.num_classes, masks=masks, groups=groups,
        group_ids=() if groups is None else
        [int(g) for g in np.unique(inputs.groups)])
    return {k: 100 * float(values[k][0]) for k in metrics_of(inputs)}


def _changes(inputs: AdviceInputs, new_logits: np.ndarray,
             options: AdviceOptions) -> Dict[str, Dict[str, Any]]:
    changes = metric_changes(
        inputs.labels, inputs.logits.argmax(1), new_logits.argmax(1),
        inputs.num_classes, class_counts=inputs.class_counts,
        groups=inputs.groups, many_shot_thr=options.many_shot_thr,
        few_shot_thr=options.few_shot_thr,
        num_resamples=options.num_resamples, confidence=options.confidence,
        min_images=options.min_images, seed=options.seed)
    return {k: change_record(changes[k]) for k in metrics_of(inputs)}


def _calibration(labels: np.ndarray, before: np.ndarray, after: np.ndarray,
                 counts: np.ndarray, options: AdviceOptions
                 ) -> Dict[str, Any]:
    b, a, changes = calibration_changes(
        labels, softmax(before, axis=1), softmax(after, axis=1), counts,
        options.many_shot_thr, options.few_shot_thr,
        num_resamples=options.num_resamples, confidence=options.confidence,
        min_images=options.min_images, seed=options.seed)
    return dict(before=b['ece'], after=a['ece'],
                change=change_record(changes['ece']))


def measure_candidates(val: AdviceInputs, test: AdviceInputs,
                       options: Optional[AdviceOptions] = None
                       ) -> Dict[str, Any]:
    """Run the advisor on ``val`` and score its candidates on ``test``.

    Each candidate the advisor tried keeps its predicted changes (its
    cross-fitted changes on ``val``, as the advisor reports them) and its
    measured ones: the advisor's deployed parameters (tuned on all of
    ``val``) applied to ``test`` through the same candidate built on
    ``test`` (:func:`~mmlt.analysis.advice.candidates.build_candidates`),
    against the model as it is on the same test images, with the same
    paired interval. Temperature scaling (calibration only) keeps its
    expected calibration error before, after and changed on both sets.

    Returns:
        ``{'recommended': key or None, 'selection_metric', 'candidates':
        [...], 'calibration': {'predicted', 'measured'} or None}``.
    """
    options = options or AdviceOptions()
    advice = advise(val, options)
    on_test = {c.key: c
               for c in build_candidates(test, options.lift_group)}
    everything = np.arange(test.labels.size)
    out: List[Dict[str, Any]] = []
    calibration = None
    for result in advice.results:
        cand = result.candidate
        entry: Dict[str, Any] = dict(key=cand.key, name=cand.name,
                                     skipped=cand.skipped or None)
        out.append(entry)
        if cand.skipped or result.params is None:
            continue
        entry.update(params=_plain(result.params),
                     params_text=cand.describe(result.params),
                     part_params=[_plain(p) for p in result.part_params],
                     calibration_only=cand.calibration_only,
                     predicted={k: change_record(result.changes[k])
                                for k in metrics_of(val)
                                if k in result.changes})
        twin = on_test.get(cand.key)
        if twin is None or twin.skipped:
            entry['measured_skipped'] = 'not built on the test images' \
                if twin is None else twin.skipped
            continue
        logits = twin.apply(result.params, everything)
        entry['measured'] = _changes(test, logits, options)
        if cand.calibration_only and advice.calibration is not None:
            before, after, changes = advice.calibration
            calibration = dict(
                predicted=dict(before=before['ece'], after=after['ece'],
                               change=change_record(changes['ece'])),
                measured=_calibration(test.labels, test.logits, logits,
                                      test.class_counts, options))
    return dict(recommended=None if advice.recommended is None else
                advice.recommended.key,
                selection_metric=advice.selection_metric, candidates=out,
                calibration=calibration)


def _top1(logits: np.ndarray, labels: np.ndarray) -> float:
    return 100 * float(np.mean(logits.argmax(1) == labels))


def measure_prior_shift(test: AdviceInputs,
                        seed: int) -> Dict[str, Dict[str, float]]:
    """Per test profile (:data:`~mmlt.analysis.advice.prior_shift.
    PROFILES`: the training counts, uniform, the long tail reversed): the
    test images re-sampled to it (``resample_to_profile``, ``seed``) and
    their top-1 accuracy unadjusted, adjusted with the prior EM estimates
    from the re-sampled images' own probabilities (no label read), and
    adjusted with the profile's true prior (``z + log q − log π``). Also
    the images drawn, EM's steps and the estimate's total-variation
    distance from the drawn class mix (points)."""
    counts = np.asarray(test.class_counts, np.float64)
    train_prior = counts / counts.sum()
    probs = softmax(test.logits, axis=1)
    out = {}
    for profile in PROFILES:
        target = profile_weights(counts, profile)
        index = resample_to_profile(test.labels, target, seed=seed)
        logits, labels = test.logits[index], test.labels[index]
        estimate, steps = em_prior(probs[index], train_prior)
        drawn = np.bincount(labels, minlength=counts.size) / labels.size
        out[profile] = dict(
            images=int(index.size),
            unadjusted=_top1(logits, labels),
            estimated=_top1(logits + prior_shift_bias(counts, estimate)[None],
                            labels),
            true=_top1(logits + prior_shift_bias(counts, target)[None],
                       labels),
            em_steps=int(steps),
            estimate_error=50 * float(np.abs(estimate - drawn).sum()))
    return out


def seed_record(val: AdviceInputs, test: AdviceInputs, seed: int,
                options: Optional[AdviceOptions] = None,
                prior_shift: bool = True) -> Dict[str, Any]:
    """Everything the section shows of one checkpoint (JSON-ready): the
    model's own metrics on both sets, :func:`measure_candidates` and, with
    ``prior_shift``, :func:`measure_prior_shift` (re-sampling seeded by
    ``seed``). With ``options.lift_group`` the record also keeps the
    lifted group (``lift_group``) and every group's accuracy."""
    options = options or AdviceOptions()
    record = dict(
        seed=int(seed),
        images=dict(val=int(val.labels.size), test=int(test.labels.size)),
        class_counts=[int(c) for c in val.class_counts],
        options=dict(num_parts=options.num_parts, seed=options.seed,
                     num_resamples=options.num_resamples,
                     confidence=options.confidence),
        base=dict(val=base_metrics(val), test=base_metrics(test)))
    if options.lift_group is not None:
        record['lift_group'] = int(options.lift_group)
    record.update(measure_candidates(val, test, options))
    if prior_shift:
        record['prior_shift'] = measure_prior_shift(test, seed)
    return record
