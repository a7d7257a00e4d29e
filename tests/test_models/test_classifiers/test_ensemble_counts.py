"""Which training class counts an ensemble's shot bins use (the rule of
mmlt.models.classifiers.base_ensemble)."""
import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmlt  # noqa: F401
from mmlt.engine.hooks import LongTailContextHook
from mmlt.models.classifiers import ScoreEnsemble
from mmlt.models.classifiers.base_ensemble import resolve_ensemble_counts
from mmlt.registry import DATASETS, MODELS
from .ensemble_helpers import DEMO, save_mmengine_checkpoint

FOLD0 = [30, 20, 10]
FOLD1 = [28, 22, 9]


def test_rule_explicit_then_dataset_then_agreeing_members():
    assert resolve_ensemble_counts({'a': FOLD0}, class_counts=[5, 4, 3]
                                   ).tolist() == [5, 4, 3]
    assert resolve_ensemble_counts({'a': FOLD0, 'b': FOLD0}).tolist() == \
        FOLD0
    assert resolve_ensemble_counts({'a': FOLD0, 'b': None}).tolist() == FOLD0
    assert resolve_ensemble_counts({'a': None, 'b': None}) is None
    with pytest.raises(ValueError, match=r'different class counts \(a: 60 '
                       r'images, b: 59 images\).*train_dataset='):
        resolve_ensemble_counts({'a': FOLD0, 'b': FOLD1})
    with pytest.raises(ValueError, match='not both'):
        resolve_ensemble_counts({}, [1], dict(type='DigitsLT'))
    with pytest.raises(ValueError, match='non-negative ints'):
        resolve_ensemble_counts({}, class_counts=[3, -1])


def test_train_dataset_counts_equal_a_hand_count():
    cfg = Config.fromfile(DEMO).train_dataloader.dataset.to_dict()
    counts = resolve_ensemble_counts({'a': FOLD0, 'b': FOLD1},
                                     train_dataset=cfg)
    dataset = DATASETS.build(copy.deepcopy(cfg))
    labels = [int(dataset.get_data_info(i)['gt_label'])
              for i in range(len(dataset))]
    assert counts.tolist() == np.bincount(labels, minlength=10).tolist()


@pytest.fixture(scope='module')
def fold_checkpoints(tmp_path_factory):
    """Two demo models whose heads were trained on different counts."""
    folder = tmp_path_factory.mktemp('folds')
    paths = []
    for i, counts in enumerate(([50, 40, 30, 20, 10, 9, 8, 7, 6, 5],
                                [48, 41, 29, 21, 10, 9, 8, 7, 6, 5])):
        torch.manual_seed(i)
        model = MODELS.build(Config.fromfile(DEMO).model)
        model.head.set_class_counts(counts)
        paths.append(save_mmengine_checkpoint(
            model, str(folder / f'fold{i}.pth')))
    return paths


def _members(paths):
    return [dict(name=f'fold{i}', config=DEMO, checkpoint=p)
            for i, p in enumerate(paths)]


def test_fold_ensemble_needs_the_data_it_represents(fold_checkpoints):
    with pytest.raises(ValueError, match='fold0: 185 images, fold1: 184'):
        ScoreEnsemble(_members(fold_checkpoints))
    whole = [98, 81, 59, 41, 20, 18, 16, 14, 12, 10]
    ensemble = ScoreEnsemble(_members(fold_checkpoints), class_counts=whole)
    assert ensemble.training_class_counts.tolist() == whole


def test_the_metric_gets_the_ensemble_counts(fold_checkpoints):
    whole = [98, 81, 59, 41, 20, 18, 16, 14, 12, 10]
    ensemble = ScoreEnsemble(_members(fold_checkpoints), class_counts=whole)
    received = []
    metric = SimpleNamespace(
        set_long_tail_context=lambda c: received.append(c.class_counts),
                             out_dir='set')
    runner = SimpleNamespace(
        model=ensemble, test_evaluator=SimpleNamespace(metrics=[metric]),
        test_dataloader=SimpleNamespace(dataset=None), work_dir='.')
    LongTailContextHook(plot=False).before_test(runner)
    assert [list(map(int, c)) for c in received] == [whole]
