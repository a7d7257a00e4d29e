"""The fixes the advisor tries, each as ``fit`` (positions of tuning images
-> parameters), ``apply`` (parameters, positions of scored images -> their
logits) and the config change that deploys the parameters.

Every candidate changes the model's logits ``z`` of an image:

- post-hoc logit adjustment: ``z - τ log π``, τ on a 0..2 grid by the
  selection metric;
- τ-normalisation: ``h · w_c / ||w_c||^τ``, τ on the authors' 0..2 grid,
  the same way;
- learned per-class bias: ``z + b``, ``b`` minimising the class-balanced
  cross-entropy (:mod:`.class_bias`);
- per-group bias for group G: ``z + b_G`` on group G's images, ``z`` on the
  others, ``b_G`` fitted the same way on group G's images alone;
- temperature scaling: ``z / T``, ``T`` minimising the negative
  log-likelihood (calibration only);
- prior shift: ``z + log q - log π``, nothing tuned (``q`` known or
  estimated).

The selection metric is balanced accuracy, or with a deployment prior
``q`` the top-1 accuracy at that mix (the bias fit then weights class
``c`` by ``q_c``). Per-group bias: the group of an image is known at test
time (its ``group_id``), so a bias can be learned from group G's held-out
images alone and added to group G's images alone; the other groups keep
their predictions.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from .class_bias import RIDGE, fit_class_bias
from .inputs import AdviceInputs
from .logit_adjustment import log_prior, logit_adjust, tune_logit_adjust_tau
from .prior_shift import prior_shift_bias
from .tau_normalisation import tau_norm_logits, tune_tau_norm
from .temperature import fit_temperature

__all__ = ['Candidate', 'build_candidates']


@dataclass
class Candidate:
    """One fix to try.

    Attributes:
        key: Short id (``logit_adjust``, ``tau_norm``, ``class_bias``,
            ``group_bias``, ``temperature``, ``prior_shift``).
        name: What the report calls it.
        how: What is tuned, on what objective.
        fit, apply: See the module docstring; None for a skipped one.
        describe: Parameters -> text (``τ = 0.8``).
        config: Parameters -> ``{model: {head: {...}}}`` change, or None.
        config_note: Why it has no ready config ('' if it has one).
        skipped: Why it is not tried ('' if it is).
        tuned: False when nothing is tuned (no cross-fitting needed).
        calibration_only: True when the predictions cannot change.
    """
    key: str
    name: str
    how: str = ''
    fit: Optional[Callable[[np.ndarray], Any]] = None
    apply: Optional[Callable[[Any, np.ndarray], np.ndarray]] = None
    describe: Callable[[Any], str] = str
    config: Optional[Callable[[Any], Dict]] = None
    config_note: str = ''
    skipped: str = ''
    tuned: bool = True
    calibration_only: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)


def _head_change(**values) -> Dict:
    return dict(model=dict(head=values))


def _rounded(values: np.ndarray) -> List[float]:
    return [round(float(v), 6) for v in values]


def _no_options_note(inputs: AdviceInputs) -> str:
    if inputs.head is None:
        return 'no config given to write it into'
    if not inputs.head.takes_options:
        return (f'the config\'s head {inputs.head.head_type} has no such '
                "option: use mmlt's LTLinearClsHead")
    return ''


def _logit_adjust(inputs: AdviceInputs, prior: Optional[np.ndarray],
                  taus) -> Candidate:
    cand = Candidate('logit_adjust', 'post-hoc logit adjustment',
                     'τ of z − τ·log π on a grid 0..2 (Menon et al. 2021)')
    try:
        log_pi = log_prior(inputs.class_counts)
    except ValueError as e:
        cand.skipped = str(e)
        return cand
    z, y = inputs.logits, inputs.labels
    cand.fit = lambda idx: tune_logit_adjust_tau(z[idx], y[idx], log_pi,
                                                 taus, prior)
    cand.apply = lambda tau, idx: logit_adjust(z[idx], log_pi, tau)
    cand.describe = lambda tau: f'τ = {tau:g}'
    cand.config_note = _no_options_note(inputs)
    if not cand.config_note:
        head = inputs.head

        def change(tau: float) -> Dict:
            values = dict(logit_adjust_tau=round(head.logit_adjust_tau +
                                                 tau, 6))
            if head.logit_adjust_refusal is not None:
                values['logit_adjust_any_loss'] = True
            return _head_change(**values)

        cand.config = change
        if head.logit_adjust_refusal is not None:
            cand.extra['warning'] = (
                'the config sets logit_adjust_any_loss=True: ' +
                head.logit_adjust_refusal + '; τ was tuned on held-out '
                'images for it')
    return cand


def _tau_norm(inputs: AdviceInputs, prior: Optional[np.ndarray],
              taus) -> Candidate:
    cand = Candidate('tau_norm', 'τ-normalisation',
                     'τ of w_c / ||w_c||^τ on the authors\' grid 0..2 (Kang '
                     'et al. 2020)')
    if inputs.tau_norm_reason or inputs.feats is None or \
            inputs.weight is None:
        cand.skipped = inputs.tau_norm_reason or 'no classifier weights'
        return cand
    h, w, y = inputs.feats, inputs.weight, inputs.labels
    cand.fit = lambda idx: tune_tau_norm(h[idx], w, y[idx], taus, prior)
    cand.apply = lambda tau, idx: tau_norm_logits(h[idx], w, tau)
    cand.describe = lambda tau: f'τ = {tau:g}'
    cand.config_note = _no_options_note(inputs)
    if not cand.config_note:
        cand.config = lambda tau: _head_change(tau_norm=tau)
    return cand


def _class_bias(inputs: AdviceInputs, prior: Optional[np.ndarray],
                ridge: float) -> Candidate:
    objective = 'accuracy at the target prior' if prior is not None else \
        'balanced accuracy'
    cand = Candidate(
        'class_bias', 'learned per-class bias',
        f'b of z + b minimising class-balanced cross-entropy (surrogate of '
        f'{objective}; L-BFGS, ridge {ridge:g})')
    z, y = inputs.logits, inputs.labels
    cand.fit = lambda idx: fit_class_bias(z[idx], y[idx], prior, ridge)
    cand.apply = lambda b, idx: z[idx] + b[None]
    cand.describe = lambda b: f'b in [{b.min():+.2f}, {b.max():+.2f}]'
    cand.config_note = _no_options_note(inputs)
    if not cand.config_note:
        old = np.asarray(inputs.head.logit_bias or np.zeros(
            inputs.num_classes))
        cand.config = lambda b: _head_change(logit_bias=_rounded(old + b))
    return cand


def _group_bias(inputs: AdviceInputs, group: int,
                prior: Optional[np.ndarray], ridge: float) -> Candidate:
    cand = Candidate(
        'group_bias', f'per-group bias (group {group})',
        f'b_{group} of z + b_{group}, fitted on group {group}\'s images '
        'only (class-balanced cross-entropy) and added to its images only')
    z, y, g = inputs.logits, inputs.labels, inputs.groups
    in_group = g == group

    def fit(idx: np.ndarray) -> np.ndarray:
        rows = idx[in_group[idx]]
        if not rows.size:
            return np.zeros(inputs.num_classes)
        return fit_class_bias(z[rows], y[rows], prior, ridge)

    def apply(b: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return z[idx] + np.where(in_group[idx][:, None], b[None], 0.0)

    cand.fit, cand.apply = fit, apply
    cand.describe = lambda b: f'b_{group} in [{b.min():+.2f}, {b.max():+.2f}]'
    cand.config_note = _no_options_note(inputs)
    if not cand.config_note:
        groups = dict(inputs.head.group_logit_bias or {})
        old = np.asarray(groups.get(group, np.zeros(inputs.num_classes)))

        def change(b: np.ndarray) -> Dict:
            new = {int(k): list(v) for k, v in groups.items()}
            new[int(group)] = _rounded(old + b)
            return _head_change(group_logit_bias=new)

        cand.config = change
        cand.extra['warning'] = (
            'group_logit_bias reads each image\'s group_id at test time '
            '(PackInputs(algorithm_keys=[\'group_id\'])): tools/test.py '
            'has it; an exported model or the Inferencer on a bare image '
            'does not')
    return cand


def _temperature(inputs: AdviceInputs) -> Candidate:
    z, y = inputs.logits, inputs.labels
    return Candidate(
        'temperature', 'temperature scaling',
        'T of softmax(z / T) minimising the negative log-likelihood (Guo '
        'et al. 2017): calibration only, the argmax and every accuracy are '
        'unchanged',
        fit=lambda idx: fit_temperature(z[idx], y[idx]),
        apply=lambda t, idx: z[idx] / t,
        describe=lambda t: f'T = {t:.3g}',
        config_note='accuracy is unchanged; the head has no temperature '
        'option (divide the logits by T where you use the scores as '
        'confidences)',
        calibration_only=True)


def _prior_shift(inputs: AdviceInputs, prior: np.ndarray,
                 prior_source: str) -> Candidate:
    cand = Candidate(
        'prior_shift', f'prior shift ({prior_source})',
        'z + log q − log π for the deployment prior q (nothing tuned on '
        'the scored images)', tuned=False)
    try:
        bias = prior_shift_bias(inputs.class_counts, prior)
    except ValueError as e:
        cand.skipped = str(e)
        return cand
    z = inputs.logits
    cand.fit = lambda idx: bias
    cand.apply = lambda b, idx: z[idx] + b[None]
    cand.describe = lambda b: f'log q − log π in [{b.min():+.2f}, ' \
        f'{b.max():+.2f}]'
    cand.config_note = _no_options_note(inputs)
    if not cand.config_note:
        old = np.asarray(inputs.head.logit_bias or np.zeros(
            inputs.num_classes))
        cand.config = lambda b: _head_change(logit_bias=_rounded(old + b))
    return cand


def build_candidates(inputs: AdviceInputs,
                     lift_group: Optional[int] = None,
                     target_prior: Optional[np.ndarray] = None,
                     prior_source: str = '',
                     taus=None,
                     ridge: float = RIDGE) -> List[Candidate]:
    """The candidates for ``inputs``, in report order (skipped ones keep
    their reason)."""
    from mmlt.models.heads.tau_norm import DEFAULT_TAUS
    taus = DEFAULT_TAUS if taus is None else taus
    out = [
        _logit_adjust(inputs, target_prior, taus),
        _tau_norm(inputs, target_prior, taus),
        _class_bias(inputs, target_prior, ridge),
    ]
    if lift_group is not None:
        out.append(_group_bias(inputs, lift_group, target_prior, ridge))
    out.append(_temperature(inputs))
    if target_prior is not None:
        out.append(_prior_shift(inputs, target_prior, prior_source))
    return out
