"""Validation/test classes must be the training classes, in the same order."""
from types import SimpleNamespace

import pytest

import mmlt  # noqa: F401
from mmlt.engine.hooks import LongTailContextHook
from mmlt.engine.hooks.long_tail_context_hook import check_same_classes


def test_same_classes_same_order_pass():
    check_same_classes(['cat', 'dog'], ('cat', 'dog'), 'validation dataset')
    check_same_classes(None, ['dog', 'cat'], 'test dataset')


def test_other_order_is_refused_naming_both_orders():
    with pytest.raises(ValueError,
                       match=r"validation dataset has the same class names "
                       r"in a different order.*\['cat', 'dog'\].*"
                       r"\['dog', 'cat'\]"):
        check_same_classes(['cat', 'dog'], ['dog', 'cat'],
                           'validation dataset')


def test_other_classes_are_named():
    with pytest.raises(ValueError, match=r"only in training: \['dog'\], "
                       r"only in the test dataset: \['emu'\]"):
        check_same_classes(['cat', 'dog'], ['cat', 'emu'], 'test dataset')


def _runner(classes):
    dataset = SimpleNamespace(metainfo=dict(classes=classes))
    return SimpleNamespace(
        model=None, work_dir='.', val_evaluator=SimpleNamespace(metrics=[]),
        val_dataloader=SimpleNamespace(dataset=dataset),
        test_evaluator=SimpleNamespace(metrics=[]),
        test_dataloader=SimpleNamespace(dataset=dataset))


def test_hook_checks_a_tested_checkpoint_against_its_training_classes():
    hook = LongTailContextHook(plot=False)
    hook.after_load_checkpoint(
        None, dict(meta=dict(dataset_meta=dict(classes=('cat', 'dog')))))
    hook.before_test(_runner(('cat', 'dog')))
    with pytest.raises(ValueError, match='different order'):
        hook.before_test(_runner(('dog', 'cat')))
    with pytest.raises(ValueError, match='different order'):
        hook.before_val(_runner(('dog', 'cat')))
