"""Linear classification head that gives its loss class counts and groups."""
import inspect
from typing import (Dict, FrozenSet, List, Mapping, Optional, Sequence,
                    Tuple)

import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.structures import DataSample

from mmlt.models.losses import check_extra_inputs, describe_logits
from mmlt.registry import MODELS
from mmlt.structures import check_counts, gather_group_ids, parse_group_weight
from .logit_bias import (add_logit_bias, check_logit_bias,
                         parse_group_logit_bias)
from .tau_norm import check_tau, tau_normalize

__all__ = [
    'LTLinearClsHead', 'LTNormedLinearClsHead', 'group_sample_weights',
    'check_logit_adjust_tau', 'logit_adjustment_refusal'
]


def loss_extra_inputs(loss_module: torch.nn.Module) -> FrozenSet[str]:
    """The per-batch inputs besides MMPretrain's arguments (``group_id``,
    ``feats``) that the head passes to ``loss_module``: those its class
    declares in ``extra_inputs`` (see
    :class:`~mmlt.models.losses.BaseLTLoss`), read once, when the head is
    built. A loss without the attribute gets none of them: MMPretrain's
    ``CrossEntropyLoss`` and ``LabelSmoothLoss`` take ``**kwargs`` and hand
    them to functions that reject unknown names. (The class counts are
    handed over once, by ``set_class_counts``.)"""
    return frozenset(
        check_extra_inputs(getattr(loss_module, 'extra_inputs', ()),
                           type(loss_module).__name__))


def takes_sample_weight(loss_module: torch.nn.Module) -> bool:
    """Whether the loss's ``forward`` names a ``weight`` parameter, the
    per-sample weight of MMPretrain's loss signature (MMPretrain's losses
    and :class:`~mmlt.models.losses.BaseLTLoss` have it), which
    ``group_weight`` fills."""
    params = inspect.signature(loss_module.forward).parameters
    return 'weight' in params and \
        params['weight'].kind is not params['weight'].VAR_KEYWORD


def group_sample_weights(group_id: torch.Tensor,
                         group_weight: Mapping[int, float]) -> torch.Tensor:
    """Each sample's loss weight: its group's weight, 1.0 for a group not in
    ``group_weight``."""
    size = max([int(group_id.max()) + 1 if group_id.numel() else 0] +
               [k + 1 for k in group_weight])
    table = torch.ones(size, device=group_id.device)
    for key, value in group_weight.items():
        table[key] = value
    return table[group_id]


def check_logit_adjust_tau(tau) -> float:
    """``tau`` of the post-hoc logit adjustment as a float: a finite real
    number >= 0, checked by :func:`check_tau` (None refused)."""
    return check_tau(tau, 'logit_adjust_tau',
                     "the τ of z − τ·log π: 0 is off, 1 is the paper's "
                     'value', allow_none=False)


# What MMPretrain's losses that the post-hoc adjustment does not follow
# leave in their logits, as (kind of mmlt.models.losses.LOGIT_KINDS, how),
# by class name (looked up by the class, then by its base classes). mmlt's
# losses declare the same in their own class (``logit_kind``,
# ``logit_kind_how``); MMPretrain's cannot, so they are listed here.
_MMPRETRAIN_LOGIT_KINDS: Dict[str, Tuple[str, str]] = {
    'SeesawLoss': ('uses_prior', 'scales the other classes\' terms of the '
                   'softmax by ratios of the class counts while training'),
    'FocalLoss': ('sigmoid', ' with a focal term and alpha'),
    'AsymmetricLoss': ('sigmoid', ''),
}


def logit_adjustment_refusal(loss: torch.nn.Module) -> Optional[str]:
    """Why the post-hoc logit adjustment ``z − τ·log π`` may not follow a
    head trained with ``loss``; None when it may.

    It may follow softmax cross-entropy: MMPretrain's ``CrossEntropyLoss``
    with ``use_sigmoid=False`` and no ``class_weight`` (``use_soft`` for the
    soft targets of Mixup/CutMix is fine: they average the class labels
    without re-weighting them) and MMPretrain's ``LabelSmoothLoss`` in its
    softmax modes (``'original'``, ``'classy_vision'``) without
    ``class_weight``. Label smoothing pulls the softmax toward uniform, so
    τ = 1 is then no longer the exact Bayes correction, but the logits still
    carry the training prior and nothing else removes it. Subclasses of
    these two are not trusted (their forward may do anything). Every other
    loss is refused with the reason its class declares (mmlt's losses:
    ``logit_kind`` and ``logit_kind_how``, see
    :class:`~mmlt.models.losses.BaseLTLoss`; MMPretrain's:
    ``_MMPRETRAIN_LOGIT_KINDS``, looked up by the loss's class and then its
    base classes); a loss that declares nothing is refused as not being
    softmax cross-entropy.
    """
    from mmpretrain.models.losses import CrossEntropyLoss, LabelSmoothLoss
    name = type(loss).__name__
    ce = loss
    if type(loss) is LabelSmoothLoss:
        if loss.mode == 'multi_label':
            return ("LabelSmoothLoss(mode='multi_label') "
                    + describe_logits('sigmoid'))
        ce = loss.ce
    if type(ce) is CrossEntropyLoss:
        if ce.use_sigmoid:
            return f'{name}(use_sigmoid=True) ' + describe_logits('sigmoid')
        if ce.class_weight is not None:
            return f'{name}(class_weight={ce.class_weight!r}) ' + \
                describe_logits('reweighted',
                                'weights the classes while training')
        return None
    kind = getattr(loss, 'logit_kind', None)
    if kind is not None:
        return f'{name} ' + describe_logits(
            kind, getattr(loss, 'logit_kind_how', ''))
    for cls in type(loss).__mro__:
        if cls.__name__ in _MMPRETRAIN_LOGIT_KINDS:
            return f'{name} ' + describe_logits(
                *_MMPRETRAIN_LOGIT_KINDS[cls.__name__])
    return (f'{name} is not softmax cross-entropy, which the adjustment '
            'assumes (its logits estimate log p(y|x) under the training '
            'prior π up to a constant)')


@MODELS.register_module()
class LTLinearClsHead(LinearClsHead):
    """MMPretrain's ``LinearClsHead`` for long-tailed training.

    The training images per class live in the ``class_counts`` buffer, so
    they are saved in checkpoints. They are filled from the training set
    when training starts by :class:`mmlt.engine.LongTailContextHook`
    (through :meth:`set_class_counts`), which also hands them to the loss
    if it has a ``set_class_counts`` method (mmlt's count-based losses
    derive their per-class buffers there); so does loading a checkpoint
    whose head knows its counts. A loss that needs them and never got them
    raises an error naming the hook rather than training on zeros.

    Per batch, the loss may also take ``group_id`` (a long tensor with each
    sample's group; a batch without group ids is then an error, see
    :mod:`mmlt.structures.group_id`) and ``feats`` (the classifier's input
    ``h``): the head passes exactly those the loss's class declares in
    ``extra_inputs`` (e.g. ``extra_inputs = ('feats', )``, see
    :class:`~mmlt.models.losses.BaseLTLoss`), so MMPretrain's own losses,
    which declare none, work unchanged.

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the input feature.
        group_weight: ``{group id: weight}``: each sample's loss is scaled
            by its group's weight (a group not listed keeps 1.0), passed to
            the loss as its per-sample ``weight``. E.g. ``{1: 2.0}`` counts
            group 1 twice. Keys may be decimal strings (``--cfg-options
            model.head.group_weight.1=2.0``); every sample then needs a
            ``group_id`` (``PackInputs(algorithm_keys=['group_id'])``).
            ``GroupWeightCurriculumHook`` changes it during training.
        logit_adjust_tau: Post-hoc logit adjustment at inference (Menon et
            al., "Long-tail learning via logit adjustment", ICLR 2021):
            ``predict`` uses ``z - tau * log(pi)`` with ``pi`` the training
            label distribution; training is unchanged. A finite real
            number >= 0: 0 (default) is off, the paper uses 1. It assumes
            the logits are softmax-calibrated estimates of p(y|x) under the
            training prior, as softmax cross-entropy gives: with any other
            loss (sigmoid or focal losses, LDAM margins, class weights, or
            losses that already use the prior, as ``BalancedSoftmaxLoss``
            and ``LogitAdjustedLoss``, which would be corrected twice) the
            head is refused when it is built (see
            :func:`logit_adjustment_refusal`), and
            ``DeferredReweightingHook`` refuses it when training starts.
        logit_adjust_any_loss: Allow ``logit_adjust_tau`` > 0 with a loss
            that :func:`logit_adjustment_refusal` refuses. Set it only for a
            τ chosen on validation data for that loss (τ = 1 has no
            justification there).
        tau_norm: τ-normalised classifier at inference (Kang et al.,
            "Decoupling Representation and Classifier for Long-Tailed
            Recognition", ICLR 2020): ``predict`` scores with
            ``w_c / ||w_c||^tau`` and no bias (see
            :mod:`mmlt.models.heads.tau_norm`); training is unchanged. None
            (default) is off; the paper picks τ on a validation split
            (``tools/analysis_tools/tau_norm_search.py``).
        lws: Learnable weight scaling (Kang et al., ICLR 2020): the logits
            are ``f_c * (w_c^T h + b_c)`` with a learnable per-class scale
            ``lws_scale`` initialised to 1, trained alone in a second stage
            (``ClassifierRetrainHook(trainable=['head.lws_scale'],
            reinit=False)``). Not combinable with ``tau_norm``.
        logit_bias: A fixed per-class bias added to the logits by
            ``predict`` (one number per class; training is unchanged), e.g.
            fitted by ``tools/analysis_tools/advise.py``. None (default):
            off. See :mod:`mmlt.models.heads.logit_bias`.
        group_logit_bias: ``{group id: [one number per class]}``: added to
            the logits of the images of that group only (their
            ``group_id`` is read at test time). None (default): off.
        **kwargs: ``loss``, ``topk``, ``cal_acc``, ``init_cfg`` as in
            ``LinearClsHead``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 group_weight: Optional[Mapping[int, float]] = None,
                 logit_adjust_tau: float = 0.,
                 tau_norm: Optional[float] = None,
                 lws: bool = False,
                 logit_adjust_any_loss: bool = False,
                 logit_bias: Optional[Sequence[float]] = None,
                 group_logit_bias: Optional[Mapping] = None,
                 **kwargs) -> None:
        super().__init__(
            num_classes=num_classes, in_channels=in_channels, **kwargs)
        self.register_buffer(
            'class_counts', torch.zeros(num_classes, dtype=torch.long))
        self._extra_inputs = loss_extra_inputs(self.loss_module)
        self.logit_adjust_tau = check_logit_adjust_tau(logit_adjust_tau)
        if not isinstance(logit_adjust_any_loss, bool):
            raise TypeError(f'logit_adjust_any_loss={logit_adjust_any_loss!r}'
                            ' must be True or False')
        self.logit_adjust_any_loss = logit_adjust_any_loss
        self._check_logit_adjustment()
        self.group_weight: Optional[Dict[int, float]] = None
        self.set_group_weight(group_weight)
        if not isinstance(lws, bool):
            raise TypeError(f'lws={lws!r} must be True or False')
        self.lws = lws
        if lws:
            self.lws_scale = torch.nn.Parameter(torch.ones(num_classes))
        self.tau_norm: Optional[float] = None
        self.set_tau_norm(tau_norm)
        # config values as given; the tensors are not saved in checkpoints
        # (a checkpoint without them loads strictly)
        self.logit_bias = check_logit_bias(logit_bias, num_classes)
        self.group_logit_bias = parse_group_logit_bias(group_logit_bias,
                                                       num_classes)
        self.register_buffer(
            '_logit_bias', None if self.logit_bias is None else
            torch.tensor(self.logit_bias), persistent=False)
        self.register_buffer(
            '_group_logit_bias', None if not self.group_logit_bias else
            torch.tensor(list(self.group_logit_bias.values())),
            persistent=False)

    @property
    def class_counts_known(self) -> bool:
        return bool(self.class_counts.sum() > 0)

    def _check_logit_adjustment(self) -> None:
        """Refuse ``logit_adjust_tau`` > 0 on a loss it does not follow,
        unless ``logit_adjust_any_loss`` says τ was tuned for it."""
        if not self.logit_adjust_tau or self.logit_adjust_any_loss:
            return
        reason = logit_adjustment_refusal(self.loss_module)
        if reason is None:
            return
        raise ValueError(
            f'{type(self).__name__}(logit_adjust_tau='
            f'{self.logit_adjust_tau}): the post-hoc logit adjustment '
            f'z − τ·log π does not fit this loss: {reason}. It assumes '
            'logits trained with softmax cross-entropy, whose softmax '
            'estimates p(y|x) under the training prior π that it removes. '
            "Train with CrossEntropyLoss (use_sigmoid=False, no "
            'class_weight; use_soft=True with Mixup/CutMix) or '
            'LabelSmoothLoss, or set logit_adjust_tau=0; for a τ tuned on '
            'validation data for this loss, set '
            'model.head.logit_adjust_any_loss=True.')

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Set the training set's images per class (validated as every class
        statistic is, by :func:`mmlt.structures.check_counts`, and against
        ``num_classes``) and hand them to the loss."""
        counts = check_counts(counts, f'{type(self).__name__} class counts')
        if len(counts) != self.num_classes:
            raise ValueError(
                f'{type(self).__name__} has num_classes={self.num_classes} '
                f'but got class counts for {counts.size} classes')
        self.class_counts.copy_(torch.as_tensor(counts, dtype=torch.long))
        self._hand_counts_to_loss()

    def set_long_tail_context(self, context) -> None:
        """Take the training set's :class:`~mmlt.structures.LongTailContext`
        (``LongTailContextHook`` hands it over when training starts): its
        class counts go to the checkpointed buffer and to the loss."""
        self.set_class_counts(context.class_counts)

    def _hand_counts_to_loss(self) -> None:
        """Give the known counts to a loss that takes them (it derives its
        per-class buffers, on the buffer's device)."""
        if self.class_counts_known and hasattr(self.loss_module,
                                               'set_class_counts'):
            self.loss_module.set_class_counts(self.class_counts)

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        """Load as ``nn.Module`` does; counts that come with the checkpoint
        are handed to the loss (its buffers are derived, not saved)."""
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if prefix + 'class_counts' in state_dict:
            self._hand_counts_to_loss()

    def set_group_weight(self,
                         group_weight: Optional[Mapping[int, float]]) -> None:
        """Set (or with None remove) the per-group loss weights."""
        group_weight = parse_group_weight(group_weight)
        if group_weight is not None and not takes_sample_weight(
                self.loss_module):
            raise ValueError(
                f'group_weight needs a loss that takes a per-sample weight; '
                f'{type(self.loss_module).__name__}.forward has no weight '
                'argument')
        self.group_weight = group_weight

    def set_tau_norm(self, tau_norm: Optional[float]) -> None:
        """Set (or with None remove) the τ of the τ-normalised prediction."""
        tau_norm = check_tau(tau_norm, 'tau_norm')
        if tau_norm is not None:
            if self.lws:
                raise ValueError(
                    f'tau_norm={tau_norm!r} with lws=True: τ-normalisation '
                    'and learnable weight scaling are alternative '
                    'rescalings of the classifier; use one of them')
            if type(self.fc) is not torch.nn.Linear:
                raise ValueError(
                    f'tau_norm={tau_norm!r} needs a plain linear classifier '
                    f'(torch.nn.Linear), got {type(self.fc).__name__}')
        self.tau_norm = tau_norm

    def classify(self, pre_logits: torch.Tensor) -> torch.Tensor:
        """The logits ``W h + b`` (times ``lws_scale`` with LWS) of training
        and of prediction without ``tau_norm``."""
        cls_score = self.fc(pre_logits)
        if self.lws:
            cls_score = cls_score * self.lws_scale
        return cls_score

    def forward(self, feats) -> torch.Tensor:
        return self.classify(self.pre_logits(feats))

    def predict(self, feats, data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """As ``LinearClsHead.predict``; with ``tau_norm`` the scores are
        ``tau_normalize(W, tau) h`` (no bias)."""
        pre_logits = self.pre_logits(feats)
        if self.tau_norm is None:
            cls_score = self.classify(pre_logits)
        else:
            cls_score = pre_logits @ tau_normalize(self.fc.weight,
                                                   self.tau_norm).t()
        return self._get_predictions(cls_score, data_samples)

    def loss(self, feats, data_samples: List[DataSample], **kwargs) -> dict:
        pre_logits = self.pre_logits(feats)
        cls_score = self.classify(pre_logits)
        if 'feats' in self._extra_inputs:
            kwargs['feats'] = pre_logits
        return self._get_loss(cls_score, data_samples, **kwargs)

    def _get_loss(self, cls_score: torch.Tensor,
                  data_samples: List[DataSample], **kwargs) -> dict:
        group_id = None
        if 'group_id' in self._extra_inputs or \
                self.group_weight is not None:
            group_id = gather_group_ids(data_samples, self._group_feature(),
                                        cls_score.device)
        if 'group_id' in self._extra_inputs:
            kwargs['group_id'] = group_id
        if self.group_weight is not None:
            weight = group_sample_weights(group_id, self.group_weight)
            if kwargs.get('weight') is not None:
                weight = weight * kwargs['weight']
            kwargs['weight'] = weight
        return super()._get_loss(cls_score, data_samples, **kwargs)

    def _group_feature(self) -> str:
        """What makes this head read group ids, for the error on a batch
        without them."""
        if self.group_weight is not None:
            return f'{type(self).__name__}(group_weight={self.group_weight})'
        return (f'{type(self).__name__} with '
                f'{type(self.loss_module).__name__} (its extra_inputs name '
                'group_id)')

    def _get_predictions(self, cls_score: torch.Tensor, data_samples):
        if self.logit_adjust_tau:
            cls_score = cls_score - self.logit_adjust_tau * \
                self._log_prior().to(cls_score)
        if self._logit_bias is not None or self._group_logit_bias is not None:
            groups = None if self._group_logit_bias is None else dict(
                zip(self.group_logit_bias, self._group_logit_bias))
            cls_score = add_logit_bias(
                cls_score, self._logit_bias, groups, data_samples,
                f'{type(self).__name__}(group_logit_bias for groups '
                f'{sorted(self.group_logit_bias or {})})')
        return super()._get_predictions(cls_score, data_samples)

    def _log_prior(self) -> torch.Tensor:
        if not self.class_counts_known:
            raise RuntimeError(
                'logit_adjust_tau needs the training class counts, which '
                'this head (or its checkpoint) does not have: train with '
                "LongTailContextHook (default_hooks['long_tail_context'] of "
                "mmlt's base runtime config) or call "
                'head.set_class_counts()')
        from mmlt.models.losses import check_class_counts
        counts = check_class_counts(self.class_counts, self.num_classes,
                                    'logit_adjust_tau')
        return torch.log(counts / counts.sum())


@MODELS.register_module()
class LTNormedLinearClsHead(LTLinearClsHead):
    """:class:`LTLinearClsHead` with a normalised (cosine) linear classifier.

    The logits are ``cos(h, w_c) = h^T w_c / (|h| |w_c|)``, in [-1, 1], with
    no bias: the classifier LDAM is trained with (Cao et al., NeurIPS 2019;
    ``LDAMLoss`` scales them by ``s``). MMPretrain's ``NormProduct`` (of its
    ArcFace head) computes them. Predictions rank classes by the cosine.

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the input feature.
        **kwargs: As :class:`LTLinearClsHead`.
    """

    def __init__(self, num_classes: int, in_channels: int, **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        from mmpretrain.models.heads.margin_head import NormProduct
        self.fc = NormProduct(in_channels, num_classes, bias=False)
        self.set_tau_norm(self.tau_norm)  # refused: already normalised


def find_head(model: torch.nn.Module) -> Optional[torch.nn.Module]:
    """The classification head of a classifier, through DDP-style wrappers
    and MMPretrain's TTA wrapper (``--tta``). For an ensemble of mmlt
    (``members``), the first member head that knows its training class
    counts (else the first member head): it supplies the shot bins."""
    from mmengine.model import BaseTTAModel, is_model_wrapper
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    head = getattr(model, 'head', None)
    members = getattr(model, 'members', None)
    if head is None and isinstance(members, torch.nn.ModuleDict):
        heads = [h for h in map(find_head, members.values()) if h is not None]
        known = [h for h in heads if getattr(h, 'class_counts_known', False)]
        head = (known or heads or [None])[0]
    return head
