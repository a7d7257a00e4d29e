"""Deferred re-weighting (DRW) of Cao et al., NeurIPS 2019."""
import copy
from typing import Optional

import torch
from mmpretrain.models.losses import CrossEntropyLoss, LabelSmoothLoss

from mmlt.models.heads import find_head
from mmlt.models.losses import (check_class_counts, class_weighted_losses,
                                effective_number_weights)
from mmlt.registry import HOOKS
from .single_instance_hook import SingleInstanceHook
from .schedule_utils import (EpochLike, check_epoch_like, find_loss,
                             max_epochs_of, require_head, resolve_epoch)

__all__ = ['DeferredReweightingHook', 'drw_class_weight']


def drw_class_weight(counts: torch.Tensor, epoch: int, start_epoch: int,
                     beta: float) -> Optional[torch.Tensor]:
    """The class weights for ``epoch`` (0-based): None (the loss's own
    weights) before ``start_epoch``, from ``start_epoch`` on the
    class-balanced weights ``(1 - beta) / (1 - beta^{n_c})`` normalised to
    sum to ``C`` (Cui et al. 2019), in float64 (the loss casts them to the
    scores' dtype)."""
    if epoch < start_epoch:
        return None
    return effective_number_weights(
        check_class_counts(counts, what='DeferredReweightingHook'), beta)


def _mmpretrain_ce(loss: torch.nn.Module) -> Optional[torch.nn.Module]:
    """The ``CrossEntropyLoss`` holding ``class_weight`` in MMPretrain's CE
    and label-smoothing losses."""
    if isinstance(loss, CrossEntropyLoss):
        return loss
    if isinstance(loss, LabelSmoothLoss):
        return loss.ce
    return None


@HOOKS.register_module()
class DeferredReweightingHook(SingleInstanceHook):
    """Deferred re-weighting (Cao et al., "Learning Imbalanced Datasets with
    Label-Distribution-Aware Margin Loss", NeurIPS 2019).

    Trains with the loss as configured until ``start_epoch`` (0-based), then
    with class-balanced weights ``(1 - beta) / (1 - beta^{n_c})`` (Cui et
    al. 2019) normalised to sum to ``C``, from the head's class counts. The
    paper (and its code) switches at epoch 160 of 200 with
    ``beta=0.9999``; epoch 160 is the first re-weighted one.

    The weights go to any loss with ``set_class_weight`` (mmlt's losses on
    :class:`~mmlt.models.losses.ClassWeightMixin`, which
    :func:`~mmlt.models.losses.class_weighted_losses` lists from the
    registry) and to ``class_weight`` of MMPretrain's ``CrossEntropyLoss`` /
    ``LabelSmoothLoss`` (handled here: they are not mmlt's); any other loss
    is refused when training starts, with the error naming those it can
    re-weight. The state follows ``runner.epoch`` at
    every epoch, so a resumed run re-weights exactly when the uninterrupted
    one would; the loss is reached through a DDP wrapper.

    A head with post-hoc logit adjustment (``logit_adjust_tau`` > 0) is
    refused when training (or a test run of the config) starts: the
    class-weighted phase shifts the logits away from the training prior
    that ``z − τ·log π`` removes, as ``CrossEntropyLoss(class_weight=...)``
    is refused when the head is built; ``logit_adjust_any_loss=True`` on
    the head (a τ tuned on validation data) lets it through.

    Args:
        start_epoch: First re-weighted epoch (0-based), or a fraction of the
            training epochs in (0, 1) (``0.8`` = the paper's 160 of 200).
        beta: Effective-number hyper-parameter (0.9999 in the paper).
    """

    default_hooks_key = 'drw'
    priority = 'NORMAL'

    def __init__(self, start_epoch: EpochLike = 160,
                 beta: float = 0.9999) -> None:
        check_epoch_like(start_epoch, 'start_epoch')
        if not 0 <= beta < 1:
            raise ValueError(f'beta={beta} must be in [0, 1)')
        self.start_epoch = start_epoch
        self.beta = beta
        self._original = None
        self._active: Optional[bool] = None
        self._counts: Optional[torch.Tensor] = None

    def set_long_tail_context(self, context) -> None:
        """Take the training class counts (``LongTailContextHook`` hands
        the context over when training starts, before this hook's
        ``before_train``)."""
        self._counts = torch.as_tensor(context.class_counts)

    def _refuse_posthoc_adjustment(self, runner) -> None:
        """Stop if the head (the main head of a wrapper head) predicts with
        the post-hoc logit adjustment without ``logit_adjust_any_loss``."""
        head = find_head(runner.model)  # None: before_train says so
        head = getattr(head, 'main_head', head)
        tau = getattr(head, 'logit_adjust_tau', 0.)
        if not tau or getattr(head, 'logit_adjust_any_loss', False):
            return
        raise ValueError(
            f'{type(self).__name__}(start_epoch={self.start_epoch!r}) '
            'switches class-balanced weights on for '
            f'{type(head.loss_module).__name__} during training, and '
            f'{type(head).__name__} has logit_adjust_tau={tau}: the '
            'post-hoc adjustment z − τ·log π assumes logits trained without '
            'class weights (they carry the training prior it removes; '
            're-weighting already moves them toward rare classes). Remove '
            "one of them (default_hooks.drw=None, or "
            'model.head.logit_adjust_tau=0); for a τ tuned on validation '
            'data for the re-weighted model, set '
            'model.head.logit_adjust_any_loss=True.')

    def before_test(self, runner) -> None:
        self._refuse_posthoc_adjustment(runner)

    def before_train(self, runner) -> None:
        self._refuse_posthoc_adjustment(runner)
        if self._counts is None:
            raise RuntimeError(
                f'{type(self).__name__} needs the training class counts: '
                'train with LongTailContextHook (default_hooks['
                "'long_tail_context'] of mmlt's configs), which hands them "
                'over when training starts')
        loss = find_loss(runner.model, type(self).__name__)
        ce = _mmpretrain_ce(loss)
        if ce is not None:
            self._original = copy.copy(ce.class_weight)
        elif hasattr(loss, 'set_class_weight'):
            weight = getattr(loss, 'class_weight', None)
            self._original = None if weight is None else weight.clone()
        else:
            raise TypeError(
                f'{type(self).__name__} cannot re-weight '
                f'{type(loss).__name__}: use a loss with set_class_weight '
                f"({', '.join(class_weighted_losses())}) or MMPretrain's "
                'CrossEntropyLoss / LabelSmoothLoss')

    def before_train_epoch(self, runner) -> None:
        start = resolve_epoch(self.start_epoch,
                              max_epochs_of(runner, type(self).__name__),
                              'start_epoch')
        head = require_head(runner.model, type(self).__name__)
        weight = drw_class_weight(self._counts, runner.epoch, start,
                                  self.beta)
        loss = head.loss_module
        ce = _mmpretrain_ce(loss)
        if ce is not None:
            ce.class_weight = self._original if weight is None else \
                weight.tolist()
        else:
            loss.set_class_weight(self._original if weight is None else
                                  weight)
        active = weight is not None
        if active != self._active:
            runner.logger.info(
                f'{type(self).__name__}: epoch {runner.epoch} (0-based) '
                + (f'trains with class-balanced weights (beta={self.beta})'
                   if active else
                   f'trains without re-weighting until epoch {start}'))
        self._active = active
