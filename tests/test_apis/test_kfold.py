"""kfold_train end to end on a folder of PNGs with groups: the folds are
scikit-learn's stratified split, each fold's model never trains on its
held-out fold, the out-of-fold predictions follow the shared contract and
come from that fold's model (recognisable head bias, and its checkpoint run
again), the metric table is the folds' mean and sample std, finished folds
are skipped, an interrupted one resumes, and the ensemble config tests with
tools/test.py."""
import copy
import csv
import json
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
from kfold_helpers import (CLASSES, ROOT, expected_folds, write_own_data,
                           write_tiny_config)
from mmengine.config import Config

import mmlt  # noqa: F401
from common_args import build_kfold_parser
from mmlt.apis.kfold import kfold_train
from mmlt.apis.kfold_plan import fold_config, plan_kfold

pytestmark = pytest.mark.usefixtures('one_thread')

TRAIN = {'red': 12, 'green': 6, 'blue': 3, 'gray': 2}  # gray: < 3 folds
SEED = 5


def _seen(fold_dir):
    path = osp.join(fold_dir, 'seen_rank0.jsonl')
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """One 3-fold run, interrupted in fold 1 after its first epoch, run
    again (fold 0 skipped, fold 1 resumed, fold 2 trained), and a third
    time (all skipped)."""
    data = str(tmp_path_factory.mktemp('kfold_data'))
    rows = write_own_data(data, TRAIN)
    work_dir = str(tmp_path_factory.mktemp('kfold_work'))
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(osp.join(ROOT, 'tests', 'data'))
        path = write_tiny_config(
            osp.join(data, 'tiny.py'), data, max_epochs=2,
            imports=['mmlt', 'kfold_probe_hook'],
            custom_hooks=['KFoldProbeHook'])
        cfg = Config.fromfile(path)
        cfg.work_dir = work_dir
        open(osp.join(work_dir, 'interrupt_fold_1'), 'w').close()
        with pytest.raises(RuntimeError, match='interrupted'):
            kfold_train(copy.deepcopy(cfg), num_splits=3, seed=SEED)
        interrupted = dict(
            markers=[osp.isfile(osp.join(work_dir, f'fold_{k}',
                                         'fold_metrics.json'))
                     for k in range(3)],
            fold1_seen=len(_seen(osp.join(work_dir, 'fold_1'))))
        second = kfold_train(copy.deepcopy(cfg), num_splits=3, seed=SEED)
        with np.load(osp.join(work_dir, 'oof_predictions.npz')) as f:
            second_oof = dict(f)
        third = kfold_train(copy.deepcopy(cfg), num_splits=3, seed=SEED)
    return dict(cfg=cfg, rows=rows, work_dir=work_dir, data=data,
                interrupted=interrupted, second=second, third=third,
                second_oof=second_oof)


def _oof(run):
    with np.load(osp.join(run['work_dir'], 'oof_predictions.npz')) as f:
        return dict(f)


def test_out_of_fold_predictions_follow_the_contract(run):
    oof, rows = _oof(run), run['rows']
    n, c = len(rows), len(CLASSES)
    assert set(oof) == {'probs', 'gt_label', 'group_id', 'fold', 'index',
                        'filename', 'classes'}
    assert oof['probs'].dtype == np.float32 and oof['probs'].shape == (n, c)
    for key in ('gt_label', 'group_id', 'fold', 'index'):
        assert oof[key].dtype == np.int64 and oof[key].shape == (n, ), key
    assert oof['index'].tolist() == list(range(n))
    assert oof['classes'].tolist() == CLASSES
    labels = [CLASSES.index(r[1]) for r in rows]
    assert oof['gt_label'].tolist() == labels
    assert oof['group_id'].tolist() == [r[2] for r in rows]
    assert [osp.basename(f) for f in oof['filename']] == [r[0] for r in rows]
    # the folds are scikit-learn's split; gray (2 images) is never validated
    assert oof['fold'].tolist() == expected_folds(labels, 3, SEED).tolist()
    gray = oof['gt_label'] == 3
    assert (oof['fold'][gray] == -1).all() and (oof['fold'][~gray] >= 0).all()
    assert np.isnan(oof['probs'][gray]).all()
    np.testing.assert_allclose(oof['probs'][~gray].sum(1), 1, atol=1e-5)
    # each row comes from the model of its fold: fold k's head predicts k
    assert (oof['probs'][~gray].argmax(1) == oof['fold'][~gray]).all()
    assert run['second'].not_validated_classes == ['gray']


def test_csv_holds_the_same_predictions(run):
    oof = _oof(run)
    with open(osp.join(run['work_dir'], 'oof_predictions.csv')) as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ['index', 'filename', 'label', 'group_id',
                              'fold', 'pred_label'] + \
        [f'p_{name}' for name in CLASSES]
    for i, row in enumerate(table):
        assert int(row['index']) == i
        assert row['filename'] == oof['filename'][i]
        assert row['label'] == CLASSES[oof['gt_label'][i]]
        assert int(row['fold']) == oof['fold'][i]
        if oof['fold'][i] < 0:
            assert row['pred_label'] == '' and row['p_red'] == ''
            continue
        assert row['pred_label'] == CLASSES[oof['probs'][i].argmax()]
        np.testing.assert_allclose(
            [float(row[f'p_{name}']) for name in CLASSES], oof['probs'][i],
            rtol=1e-6)


def test_no_fold_model_trained_on_its_held_out_fold(run):
    oof = _oof(run)
    everything = set(range(len(oof['index'])))
    for k in range(3):
        seen = set()
        for record in _seen(osp.join(run['work_dir'], f'fold_{k}')):
            seen.update(record['seen'])
        held_out = set(np.flatnonzero(oof['fold'] == k).tolist())
        assert held_out and not seen & held_out
        assert seen == everything - held_out  # gray included


def test_predictions_are_the_fold_checkpoints(run):
    """Fold k's final checkpoint, run again on its held-out images with the
    config's test pipeline, gives the stored probabilities."""
    from mmpretrain.apis import ImageClassificationInferencer
    oof = _oof(run)
    for k in range(3):
        with open(osp.join(run['work_dir'], f'fold_{k}',
                           'fold_metrics.json')) as f:
            marker = json.load(f)
        assert osp.basename(marker['checkpoint']) == 'epoch_2.pth'
        inferencer = ImageClassificationInferencer(
            run['cfg'], pretrained=marker['checkpoint'], device='cpu')
        rows = np.flatnonzero(oof['fold'] == k)[:2]
        results = inferencer([str(oof['filename'][i]) for i in rows])
        for i, result in zip(rows, results):
            np.testing.assert_allclose(result['pred_scores'],
                                       oof['probs'][i], atol=1e-5)


def test_metric_table_is_mean_and_sample_std_of_the_folds(run):
    work_dir = run['work_dir']
    per_fold = []
    for k in range(3):
        with open(osp.join(work_dir, f'fold_{k}', 'fold_metrics.json')) as f:
            per_fold.append(json.load(f)['metrics'])
    with open(osp.join(work_dir, 'kfold_metrics.csv')) as f:
        table = {row['metric']: row for row in csv.DictReader(f)}
    for key in ('long_tail/top1', 'long_tail/balanced_accuracy',
                'long_tail/few_shot', 'long_tail/macro_f1',
                'long_tail/group0_accuracy', 'long_tail/group1_accuracy'):
        values = [m[key] for m in per_fold]
        row = table[key]
        assert [float(row[f'fold_{k}']) for k in range(3)] == values
        assert float(row['mean']) == pytest.approx(np.mean(values))
        assert float(row['std']) == pytest.approx(np.std(values, ddof=1))
    assert 'long_tail/worst_class' not in table  # an index, not a measure
    with open(osp.join(work_dir, 'kfold_metrics.md')) as f:
        md = f.read()
    values = [m['long_tail/top1'] for m in per_fold]
    assert (f'| long_tail/top1 | {values[0]:.2f} | {values[1]:.2f} | '
            f'{values[2]:.2f} | {np.mean(values):.2f} ± '
            f'{np.std(values, ddof=1):.2f} |') in md
    assert 'Never validated' in md and 'gray' in md
    # run['second'] reports the metrics of every fold, skipped or trained
    assert json.dumps(run['second'].fold_metrics) == json.dumps(per_fold)


def test_finished_folds_skipped_interrupted_fold_resumed(run):
    assert run['interrupted']['markers'] == [True, False, False]
    assert run['interrupted']['fold1_seen'] == 1  # one epoch, one batch
    second, third = run['second'], run['third']
    assert (second.skipped_folds, second.trained_folds) == ([0], [1, 2])
    assert (third.skipped_folds, third.trained_folds) == ([0, 1, 2], [])
    # fold 1 went on from its epoch-1 checkpoint: epoch 0 was never redone
    epochs = [r['epoch'] for r in _seen(osp.join(run['work_dir'],
                                                 'fold_1'))]
    assert epochs == [0, 1]
    assert [r['epoch'] for r in _seen(osp.join(run['work_dir'],
                                               'fold_0'))] == [0, 1]
    # the third run rewrote the same predictions from the stored folds
    for key, value in run['second_oof'].items():
        np.testing.assert_array_equal(_oof(run)[key], value)


def test_ensemble_config_builds_and_tests(run, tmp_path, monkeypatch):
    path = osp.join(run['work_dir'], 'ensemble_config.py')
    ens = Config.fromfile(path)
    assert ens.model.type == 'ScoreEnsemble'
    assert [m['name'] for m in ens.model.members] == ['fold_0', 'fold_1',
                                                      'fold_2']
    assert ens.data_preprocessor is None and ens.train_dataloader is None
    out = str(tmp_path / 'metrics.json')
    monkeypatch.setattr(sys, 'argv', [
        'tools/test.py', path, 'none', '--out', out, '--out-item',
        'metrics', '--work-dir', str(tmp_path)
    ])
    runpy.run_path(osp.join(ROOT, 'tools', 'test.py'), run_name='__main__')
    with open(out) as f:
        metrics = json.load(f)
    assert 0 <= metrics['long_tail/top1'] <= 100
    # shot bins from the whole training CSV (12/6/3/2: all few-shot)
    with open(tmp_path / 'per_class.csv') as f:
        table = list(csv.DictReader(f))
    assert [int(r['train_count']) for r in table] == list(TRAIN.values())


def test_another_split_in_the_same_work_dir_is_refused(run):
    cfg = copy.deepcopy(run['cfg'])
    with pytest.raises(ValueError, match=r'kfold_split.json records another '
                       r"k-fold split \(\{'seed': 5"):
        kfold_train(cfg, num_splits=3, seed=SEED + 1)


def test_fold_config(run):
    cfg = copy.deepcopy(run['cfg'])
    plan = plan_kfold(cfg.train_dataloader.dataset, 3, seed=SEED)
    fold = fold_config(cfg, 2, plan)
    train, val = fold.train_dataloader.dataset, fold.val_dataloader.dataset
    assert (train.type, train.fold, train.test_mode) == (
        'StratifiedKFoldDataset', 2, False)
    assert (val.fold, val.test_mode, val.num_splits) == (2, True, 3)
    # validation: the same training CSV, with the validation pipeline
    assert val.dataset.ann_file == 'train.csv'
    assert val.dataset.pipeline == cfg.val_dataloader.dataset.pipeline
    assert fold.test_dataloader.dataset == val
    assert fold.test_dataloader.sampler == dict(type='DefaultSampler',
                                                shuffle=False)
    assert [m['type'] for m in fold.test_evaluator] == ['LongTailMetric',
                                                        'DumpResults']
    assert fold.work_dir == osp.join(cfg.work_dir, 'fold_2')
    with pytest.raises(ValueError, match='fold=3 is out of range'):
        fold_config(cfg, 3, plan)
    bare = copy.deepcopy(cfg)
    bare.val_dataloader = bare.test_dataloader = None
    with pytest.raises(ValueError, match='no val_dataloader or '
                       'test_dataloader'):
        fold_config(bare, 0, plan)
    concat = copy.deepcopy(cfg)
    concat.train_dataloader.dataset = dict(
        type='ConcatDataset', datasets=[cfg.train_dataloader.dataset])
    with pytest.raises(ValueError, match='no pipeline to replace'):
        fold_config(concat, 0, plan)
    with pytest.raises(ValueError, match="stratify='group'"):
        kfold_train(cfg, stratify='group')
    cfg.work_dir = None
    with pytest.raises(ValueError, match='work_dir must be set'):
        kfold_train(cfg)


def test_parser_options():
    parser = build_kfold_parser()
    args = parser.parse_args(['c.py'])
    assert (args.num_splits, args.max_splits, args.stratify, args.seed,
            args.launcher, args.resume) == ('auto', 3, 'class', 0, 'none',
                                            None)
    args = parser.parse_args(['c.py', '--num-splits', '5', '--stratify',
                              'class_group', '--seed', '2',
                              '--no-persistent-workers'])
    assert (args.num_splits, args.stratify, args.seed,
            args.no_persistent_workers) == (5, 'class_group', 2, True)
    for bad in (['--num-splits', '1'], ['--num-splits', 'x'],
                ['--max-splits', 'auto'], ['--stratify', 'group'],
                ['--resume']):
        with pytest.raises(SystemExit):
            parser.parse_args(['c.py', *bad])
