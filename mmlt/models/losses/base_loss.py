"""The base of mmlt's loss modules: one template ``forward``, counts once.

A loss module subclasses :class:`BaseLTLoss` and writes its paper's
per-sample loss in :meth:`~BaseLTLoss.per_sample_loss`. What MMPretrain's
signature ``(cls_score, label, weight=None, avg_factor=None,
reduction_override=None)`` adds around it (half-precision scores computed in
float32, per-sample weights, the reduction, ``loss_weight``) is done once,
in :meth:`~BaseLTLoss.forward`; what ``'mean'`` divides by is
:meth:`~BaseLTLoss.mean_denominator`.

A loss that depends on the training class counts receives them through one
method, :meth:`~BaseLTLoss.set_class_counts`: it validates them once and
derives its per-class tensors (margins, offsets, weights, ...) as registered
buffers, which follow the module to its device. mmlt's heads call it when
they receive the counts (``LongTailContextHook`` when training starts, and
after loading a checkpoint whose head knows them); ``forward`` only reads the
buffers.

A loss declares what else it is in its own class, as attributes that the
rest of mmlt reads instead of keeping lists of losses: the per-batch inputs
it takes from the head (:attr:`BaseLTLoss.extra_inputs`), what training with
it leaves in the logits (:attr:`BaseLTLoss.logit_kind`, for the head's
refusal of post-hoc logit adjustment), and, through
:class:`ClassWeightMixin`, that a schedule hook may switch its class weights
(deferred re-weighting).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmlt.registry import MODELS
from .utils import (CountsLike, check_class_counts, one_hot_target,
                    reduce_loss_with_weight, upcast)

__all__ = [
    'BaseLTLoss', 'ClassWeightMixin', 'CLASS_WEIGHT_NORMS', 'EXTRA_INPUTS',
    'LOGIT_KINDS', 'check_extra_inputs', 'class_weighted_losses',
    'describe_logits'
]

REDUCTIONS = ('none', 'mean', 'sum')
# What 'mean' divides a class-weighted loss by: the number of samples
# (MMPretrain's weight_reduce_loss) or the sum of the samples' class weights
# (torch's F.cross_entropy(weight=...), the official LDAM-DRW and
# Bag-of-Tricks-LT code).
CLASS_WEIGHT_NORMS = ('num_samples', 'weight_sum')
# The per-batch inputs mmlt's heads can pass a loss besides MMPretrain's
# arguments, when the loss names them in its ``extra_inputs``: each sample's
# group id (a long tensor) and the classifier's input ``h``.
EXTRA_INPUTS = ('group_id', 'feats')
# What training with a loss leaves in its logits, by kind, as the clause
# that follows the loss's name in the head's refusal of the post-hoc logit
# adjustment z − τ·log π, which assumes softmax cross-entropy's logits (their
# softmax estimates p(y|x) under the training prior π). ``{how}`` is the
# loss's own words for what it does (:attr:`BaseLTLoss.logit_kind_how`).
LOGIT_KINDS: Dict[str, str] = {
    # the loss already corrects for the prior π while training
    'uses_prior': '{how}, so the model already corrects for the training '
    'prior: the post-hoc adjustment would correct for it a second time',
    # margins, temperatures or dropped terms that favour rare classes
    'favours_rare': '{how}, so the logits already favour rare classes, by '
    'another amount than τ·log π',
    # class (or sample) weights
    'reweighted': '{how}, so the logits reflect a re-weighted class '
    'distribution, not the training prior π the adjustment removes',
    # a softmax loss whose minimiser is not log p(y|x) (focal terms)
    'not_calibrated': '{how}: its minimiser is not log p(y|x): the logits '
    'are not softmax-calibrated estimates under the training prior',
    # one-vs-rest sigmoid scores
    'sigmoid': 'trains one-vs-rest sigmoid scores{how}, not a softmax '
    'estimate of p(y|x)',
}


def check_extra_inputs(extra_inputs: Sequence[str],
                       owner: str) -> Tuple[str, ...]:
    """``extra_inputs`` as a tuple of names from :data:`EXTRA_INPUTS`; a
    TypeError naming ``owner`` otherwise (a bare string, which would be
    read letter by letter, or a misspelt name, which the head would never
    pass)."""
    if isinstance(extra_inputs, str) or not all(
            isinstance(k, str) and k in EXTRA_INPUTS for k in extra_inputs):
        raise TypeError(
            f'{owner}.extra_inputs={extra_inputs!r} must be a tuple of '
            f'names from {EXTRA_INPUTS}, e.g. extra_inputs = (\'feats\', )')
    return tuple(extra_inputs)


def describe_logits(kind: str, how: str = '') -> str:
    """The clause of :data:`LOGIT_KINDS` for ``kind`` with ``how`` in it
    (a ValueError naming the kinds for an unknown one)."""
    if kind not in LOGIT_KINDS:
        raise ValueError(f'logit_kind={kind!r} must be one of '
                         f'{sorted(LOGIT_KINDS)}')
    return LOGIT_KINDS[kind].format(how=how)


class BaseLTLoss(nn.Module):
    r"""What every mmlt loss module shares.

    .. math::
        \mathrm{forward} = \lambda \cdot \mathrm{reduce}_i
        \left(s_i \, L_i\right)

    with :math:`L_i` the subclass's :meth:`per_sample_loss`, :math:`s_i` the
    per-sample ``weight`` (the head's group weights), :math:`\lambda` the
    ``loss_weight`` and the reduction MMPretrain's: ``'mean'`` divides the
    sum by ``avg_factor`` (the head passes the batch size ``N``), else by
    ``N``. With ``class_weight_norm='weight_sum'`` a class-weighted loss is
    divided by :math:`\sum_i w_{y_i}` instead (see
    :data:`CLASS_WEIGHT_NORMS`).

    Args:
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
    """

    #: Whether the loss derives per-class tensors from the class counts.
    needs_class_counts: bool = False
    #: Which of :data:`EXTRA_INPUTS` the head passes to ``forward`` per
    #: batch, e.g. ``('feats', )``; they reach :meth:`per_sample_loss` and
    #: :meth:`mean_denominator` as keyword arguments. A loss without the
    #: attribute (MMPretrain's) gets none of them.
    extra_inputs: Tuple[str, ...] = ()
    #: What training with the loss leaves in its logits, a key of
    #: :data:`LOGIT_KINDS`; the head quotes it when it refuses post-hoc
    #: logit adjustment after this loss. None: not declared (the head then
    #: refuses the adjustment as after any loss that is not softmax
    #: cross-entropy).
    logit_kind: Optional[str] = None
    #: What the loss does that makes its logits so, in a few words that fit
    #: the kind's clause (e.g. ``'takes a class-dependent margin off the
    #: target logit while training'``).
    logit_kind_how: str = ''
    #: What ``'mean'`` divides a class-weighted loss by (one of
    #: :data:`CLASS_WEIGHT_NORMS`); losses with class weights let the
    #: config choose (:meth:`_set_class_weight_norm`).
    class_weight_norm: str = 'num_samples'

    def __init_subclass__(cls, **kwargs) -> None:
        """Check a loss's declarations when its class is defined, so that a
        misspelt input or kind fails on import, not silently in training."""
        super().__init_subclass__(**kwargs)
        cls.extra_inputs = check_extra_inputs(cls.extra_inputs, cls.__name__)
        if cls.logit_kind is not None:
            try:
                describe_logits(cls.logit_kind, cls.logit_kind_how)
            except ValueError as error:
                raise TypeError(f'{cls.__name__}.{error}') from None

    def __init__(self, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction={reduction!r} must be one of '
                             f'{REDUCTIONS}')
        self.reduction = reduction
        self.loss_weight = float(loss_weight)
        # number of classes of the counts received (None: none received)
        self.num_count_classes: Optional[int] = None

    def _set_class_weight_norm(self, class_weight_norm: str) -> None:
        if class_weight_norm not in CLASS_WEIGHT_NORMS:
            raise ValueError(f'class_weight_norm={class_weight_norm!r} must '
                             f'be one of {CLASS_WEIGHT_NORMS}')
        self.class_weight_norm = class_weight_norm

    # -- class counts: received once, per-class buffers derived then --
    def set_class_counts(self, counts: CountsLike) -> None:
        """Receive the training images per class.

        A loss that uses them validates them (a class without training
        images is refused, naming it) and derives its per-class tensors now,
        as non-persistent buffers (the head's ``class_counts`` is what
        checkpoints keep); any other loss ignores them.
        """
        if not self.needs_class_counts:
            return
        counts = check_class_counts(counts, what=type(self).__name__)
        for name, value in self.derive_from_counts(counts).items():
            self.register_buffer(name, value, persistent=False)
        self.num_count_classes = counts.numel()

    def _receive_counts(self, class_counts: Optional[CountsLike]) -> None:
        """:meth:`set_class_counts` for counts given to the constructor
        (standalone use; with mmlt's head leave them None)."""
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        """The per-class buffers (name -> tensor) of validated float64
        counts; losses that need counts override it."""
        return {}

    # -- class weights --
    def class_weight_in_effect(self) -> Optional[Tensor]:
        """The per-class weights ``w`` the loss weights class terms by (None
        when unweighted). Subclasses with class weights override it."""
        return None

    def class_weight_for(self, logits: Tensor) -> Optional[Tensor]:
        """:meth:`class_weight_in_effect` in the logits' dtype and device."""
        weight = self.class_weight_in_effect()
        if weight is None:
            return None
        if weight.numel() != logits.shape[-1]:
            raise ValueError(
                f'{type(self).__name__}: class_weight has {weight.numel()} '
                f'entries but the scores have {logits.shape[-1]} classes')
        return weight.to(logits)

    # -- the template --
    def per_sample_loss(self, logits: Tensor, label: Tensor,
                        **inputs) -> Tensor:
        """The paper's loss of each sample, shape ``(N,)``.

        Args:
            logits: ``(N, C)`` scores, at least float32 (see
                :func:`~mmlt.models.losses.utils.upcast`).
            label: ``(N,)`` class indices or ``(N, C)`` soft labels.
            **inputs: What the loss takes besides (e.g. ``feats``).
        """
        raise NotImplementedError

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **inputs) -> Tensor:
        reduction = self._reduction(reduction_override)
        logits = upcast(cls_score)
        self._check_class_counts(logits)
        loss = self.per_sample_loss(logits, label, **inputs)
        if reduction == 'mean':
            avg_factor = self.mean_denominator(logits, label, avg_factor,
                                               **inputs)
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, reduction, avg_factor)

    def mean_denominator(self, logits: Tensor, label: Tensor,
                         avg_factor: Optional[float],
                         **inputs) -> Optional[float]:
        """What ``'mean'`` divides the (per-sample weighted) sum by:
        ``avg_factor`` (the head passes the batch size ``N``; None: ``N``),
        and with ``class_weight_norm='weight_sum'`` that times the batch's
        mean class weight, i.e. :math:`\\sum_i w_{y_i}` (``y_i @ w`` for
        soft labels)."""
        if self.class_weight_norm != 'weight_sum':
            return avg_factor
        class_weight = self.class_weight_for(logits)
        if class_weight is None:
            return avg_factor
        sample_weight = one_hot_target(label, logits) @ class_weight
        size = logits.shape[0] if avg_factor is None else avg_factor
        return size * sample_weight.mean()

    def _reduction(self, reduction_override: Optional[str]) -> str:
        if reduction_override is None:
            return self.reduction
        if reduction_override not in REDUCTIONS:
            raise ValueError(f'reduction_override={reduction_override!r} '
                             f'must be None or one of {REDUCTIONS}')
        return reduction_override

    def _check_class_counts(self, logits: Tensor) -> None:
        if not self.needs_class_counts:
            return
        name = type(self).__name__
        if self.num_count_classes is None:
            raise RuntimeError(
                f'{name} needs the training class counts and was never '
                'given them: register LongTailContextHook (mmlt\'s base '
                "runtime config has it as default_hooks['long_tail_context']"
                '), which hands them to the head and its loss, or call '
                f'loss.set_class_counts(counts) (class_counts= when building '
                f'{name} on its own)')
        if self.num_count_classes != logits.shape[-1]:
            raise ValueError(
                f'{name}: got class counts for {self.num_count_classes} '
                f'classes but the scores have {logits.shape[-1]} classes')


class ClassWeightMixin:
    """A per-class weight from the config that a schedule hook may switch
    (deferred re-weighting sets it through :meth:`set_class_weight`), for
    losses on :class:`BaseLTLoss` (``class Loss(ClassWeightMixin,
    BaseLTLoss)``).

    The weight is a non-persistent buffer (hooks re-derive it from the epoch
    on resume), kept in float64 whatever it is given as, so that float64
    scores are weighted exactly; it is cast to the scores' dtype when used.

    Args:
        class_weight: Per-class weights ``w``, or None.
        class_weight_norm: What ``'mean'`` divides the weighted loss by:
            ``'num_samples'`` (:math:`\\sum_i w_{y_i} L_i / N`, MMPretrain's
            convention) or ``'weight_sum'`` (:math:`/ \\sum_i w_{y_i}`,
            torch's ``F.cross_entropy(weight=w)``); see
            :meth:`BaseLTLoss.mean_denominator`.
        **kwargs: ``reduction``, ``loss_weight`` (see :class:`BaseLTLoss`).
    """

    def __init__(self,
                 class_weight: Optional[CountsLike] = None,
                 class_weight_norm: str = 'num_samples',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.register_buffer('class_weight', None, persistent=False)
        self.set_class_weight(class_weight)
        self._set_class_weight_norm(class_weight_norm)

    def set_class_weight(self, class_weight: Optional[CountsLike]) -> None:
        """Set (or with None remove) the weight of each class."""
        if class_weight is None:
            self.class_weight = None
            return
        weight = torch.as_tensor(class_weight, dtype=torch.float64)
        if weight.ndim != 1 or not torch.isfinite(weight).all() or \
                (weight < 0).any():
            raise ValueError(
                f'{type(self).__name__}: class_weight must be a 1-D list of '
                f'finite non-negative numbers, got {class_weight!r}')
        self.class_weight = weight

    def class_weight_in_effect(self) -> Optional[Tensor]:
        return self.class_weight


def class_weighted_losses() -> List[str]:
    """The registered losses on :class:`ClassWeightMixin`, by name: those
    whose class weights a schedule hook may switch (what
    ``DeferredReweightingHook`` names when it refuses another loss)."""
    return sorted(
        name for name, cls in MODELS.module_dict.items()
        if isinstance(cls, type) and issubclass(cls, ClassWeightMixin))
