"""Switch off MMPretrain's batch augments (Mixup/CutMix) for the last
epochs."""
from typing import Optional

from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS
from .single_instance_hook import SingleInstanceHook
from .schedule_utils import (EpochLike, check_epoch_like, max_epochs_of,
                             resolve_epoch)

__all__ = ['BatchAugmentOffHook', 'batch_augments_on']


def batch_augments_on(epoch: int, max_epochs: int,
                      num_last_epochs: int) -> bool:
    """Whether epoch ``epoch`` (0-based) of ``max_epochs`` uses the batch
    augments: all but the last ``num_last_epochs``."""
    return epoch < max_epochs - num_last_epochs


def _unwrapped(model):
    return model.module if is_model_wrapper(model) else model


def _preprocessor(model):
    return getattr(_unwrapped(model), 'data_preprocessor', None)


@HOOKS.register_module()
class BatchAugmentOffHook(SingleInstanceHook):
    """Train the last ``num_last_epochs`` epochs without MMPretrain's batch
    augments (``data_preprocessor.batch_augments``: Mixup, CutMix...) and
    without manifold mixup (``ManifoldMixupClassifier.manifold_mixup``).

    Bag of Tricks for long-tailed recognition (Zhang et al., AAAI 2021)
    fine-tunes without mixup after training with it. Before every epoch
    the data preprocessor's batch augments and the classifier's manifold
    mixup are set from ``runner.epoch`` (off for epochs
    ``max_epochs - num_last_epochs`` and later), so a resumed run matches
    the uninterrupted one. The preprocessor keeps producing one-hot
    ``gt_score`` labels (``to_onehot``), which every loss taking soft labels
    and those needing hard labels (one-hot rows are converted) accept.

    Args:
        num_last_epochs: Epochs at the end without batch augments, or a
            fraction of the training epochs in (0, 1). No paper default: set
            it in the config.
    """

    default_hooks_key = 'batch_augment_off'
    priority = 'NORMAL'

    def __init__(self, num_last_epochs: EpochLike) -> None:
        check_epoch_like(num_last_epochs, 'num_last_epochs', from_end=False)
        self.num_last_epochs = num_last_epochs
        self._augments = None
        self._manifold_mixup = None
        self._on: Optional[bool] = None

    def before_train(self, runner) -> None:
        preprocessor = _preprocessor(runner.model)
        augments = getattr(preprocessor, 'batch_augments', None)
        manifold = getattr(_unwrapped(runner.model), 'manifold_mixup', None)
        if augments is None and manifold is None:
            raise ValueError(
                f'{type(self).__name__}: the data preprocessor has no '
                'batch_augments and the model no manifold_mixup to switch '
                'off; configure them in model.data_preprocessor or '
                "data_preprocessor (e.g. batch_augments=dict(augments=["
                "dict(type='Mixup', alpha=0.2)])) or use "
                "model=dict(type='ManifoldMixupClassifier', ...)")
        self._augments = augments
        self._manifold_mixup = manifold

    def before_train_epoch(self, runner) -> None:
        max_epochs = max_epochs_of(runner, type(self).__name__)
        last = resolve_epoch(self.num_last_epochs, max_epochs,
                             'num_last_epochs', from_end=False)
        on = batch_augments_on(runner.epoch, max_epochs, last)
        if self._augments is not None:
            _preprocessor(runner.model).batch_augments = \
                self._augments if on else None
        if self._manifold_mixup is not None:
            _unwrapped(runner.model).manifold_mixup = \
                self._manifold_mixup if on else None
        if on != self._on:
            runner.logger.info(
                f'{type(self).__name__}: epoch {runner.epoch} (0-based) '
                + ('uses the batch augments' if on else
                   'trains without batch augments'))
        self._on = on
