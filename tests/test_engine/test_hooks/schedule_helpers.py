"""Fake runners for the schedule hooks' unit tests (no training)."""
import logging
from types import SimpleNamespace

from torch import nn

import mmlt  # noqa: F401
from mmlt.models.heads import find_head
from mmlt.registry import MODELS
from mmlt.structures import LongTailContext, hand_over


class Classifier(nn.Module):
    """Just enough of an ImageClassifier: a head and a data preprocessor."""

    def __init__(self, loss, batch_augments=None, **head):
        super().__init__()
        self.head = MODELS.build(
            dict(
                type='LTLinearClsHead',
                num_classes=3,
                in_channels=4,
                loss=loss,
                **head))
        self.head.set_class_counts([30, 10, 2])
        self.data_preprocessor = SimpleNamespace(
            batch_augments=batch_augments)


def fake_runner(model, max_epochs=10, epoch=0, optim_wrapper=None):
    return SimpleNamespace(
        model=model,
        epoch=epoch,
        train_loop=SimpleNamespace(max_epochs=max_epochs),
        optim_wrapper=optim_wrapper or SimpleNamespace(
            param_groups=[dict(lr=0.1)]),
        logger=logging.getLogger('test_schedule_hooks'))


def run_epochs(hook, runner, epochs):
    """``before_train`` then ``before_train_epoch`` at each epoch; returns
    ``probe(runner)`` per epoch."""
    # what LongTailContextHook (priority VERY_HIGH) does first
    hand_over(LongTailContext(find_head(runner.model).class_counts.numpy()),
              [hook])
    hook.before_train(runner)
    for epoch in epochs:
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        yield epoch
