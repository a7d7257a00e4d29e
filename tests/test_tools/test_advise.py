"""tools/analysis_tools/advise.py end to end on a tiny digits model: the
table, the files, a ready config that tools/test.py accepts and that tests
at the advisor's numbers, the k-fold input, a deployment prior, and bad
input."""
import csv
import json
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from scipy.special import softmax

from model_helpers import tiny_convnext

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'advise.py')
TEST_TOOL = osp.join(ROOT, 'tools', 'test.py')
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')
EPOCHS = 4

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """(config file, checkpoint) of a tiny model trained on digits-LT for a
    few epochs, its classifier bias then pushed towards the head classes
    (+log of the training prior), so that a post-hoc fix has something to
    undo."""
    from mmengine.runner import Runner
    work = tmp_path_factory.mktemp('advise')
    config = str(work / 'tiny.py')
    cfg = Config.fromfile(DEMO)
    cfg.model.backbone = tiny_convnext()
    cfg.model.head.in_channels = 16
    cfg.model.head.loss = dict(type='CrossEntropyLoss')
    cfg.default_hooks.long_tail_context.plot = False
    cfg.default_hooks.logger.interval = 50
    cfg.dump(config)
    cfg.work_dir = str(work / 'train')
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=EPOCHS)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=EPOCHS, val_interval=99)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.optim_wrapper.optimizer.lr = 1e-2
    cfg.randomness = dict(seed=0)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Runner.from_cfg(cfg).train()
    finally:
        torch.set_num_threads(threads)
    path = osp.join(cfg.work_dir, f'epoch_{EPOCHS}.pth')
    ckpt = torch.load(path, weights_only=False)
    state = ckpt['state_dict']
    counts = state['head.class_counts'].double()
    state['head.fc.bias'] += torch.log(counts / counts.sum()).float()
    skewed = str(work / 'skewed.pth')
    torch.save(dict(meta=ckpt['meta'], state_dict=state), skewed)
    return config, skewed


def _tool():
    return runpy.run_path(TOOL)


def _run(args):
    tool = _tool()
    return tool['run'](tool['build_parser']().parse_args(
        [str(a) for a in args]))


def _main(args, capsys):
    code = _tool()['main']([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _test_metrics(config, checkpoint, work_dir, monkeypatch):
    """tools/test.py CONFIG CHECKPOINT --out metrics.json --out-item
    metrics, as a user runs it."""
    out = osp.join(work_dir, 'metrics.json')
    monkeypatch.setattr(sys, 'argv', [
        TEST_TOOL, config, checkpoint, '--work-dir', work_dir, '--out', out,
        '--out-item', 'metrics'])
    runpy.run_path(TEST_TOOL, run_name='__main__')
    with open(out) as f:
        return json.load(f)


def test_advice_and_a_ready_config_that_tests_as_predicted(
        trained, tmp_path, monkeypatch, capsys):
    config, checkpoint = trained
    out = tmp_path / 'advice'
    result = _run([config, checkpoint, '--out-dir', out, '--lift-group', 1,
                   '--resamples', 500, '--device', 'cpu'])
    printed = capsys.readouterr().out
    advice, files = result['advice'], result['files']
    assert 'cross-fitted over 5 class-stratified parts' in printed
    assert 'paired bootstrap 95% intervals' in printed
    for name in ('post-hoc logit adjustment', 'τ-normalisation',
                 'learned per-class bias', 'per-group bias (group 1)',
                 'temperature scaling'):
        assert name in printed
    assert {'markdown', 'json', 'plot', 'config'} <= set(files)
    for path in files.values():
        assert osp.isfile(path)
    data = json.load(open(files['json']))
    best = advice.recommended
    assert best is not None and data['recommended'] == best.key
    assert best.changes['balanced_accuracy'].verdict == 'helps'
    assert 'Cross-fitting' in open(files['markdown']).read()
    assert f'recommendation: {best.candidate.name}' in printed
    # what the ready config should test at: the parameters tuned on all
    # the images, applied to them
    inputs = advice.inputs
    everything = np.arange(inputs.labels.size)
    pred = best.candidate.apply(best.params, everything).argmax(1)
    from sklearn.metrics import balanced_accuracy_score
    expected = 100 * balanced_accuracy_score(inputs.labels, pred)
    base = 100 * balanced_accuracy_score(inputs.labels,
                                         inputs.logits.argmax(1))
    metrics = _test_metrics(files['config'], checkpoint,
                            str(tmp_path / 'test'), monkeypatch)
    assert metrics['long_tail/balanced_accuracy'] == pytest.approx(
        expected, abs=1e-6)
    assert expected > base
    # the cross-fitted estimate of the gain is within its interval of the
    # gain the deployed parameters show on these (tuning) images
    change = best.changes['balanced_accuracy']
    assert change.low - 5 <= expected - base <= change.high + 5


def _oof(trained, tmp_path):
    """An oof_predictions.npz of the checkpoint's val logits (as a k-fold
    run writes it), class 9 never validated."""
    from mmlt.analysis.advice.inputs import inputs_from_checkpoint
    config, checkpoint = trained
    inputs, _ = inputs_from_checkpoint(Config.fromfile(config), checkpoint,
                                       device='cpu')
    probs = softmax(inputs.logits, axis=1).astype(np.float32)
    fold = np.arange(probs.shape[0]) % 3
    fold[inputs.labels == 9] = -1
    probs[fold < 0] = np.nan
    work = tmp_path / 'kfold'
    work.mkdir()
    np.savez(work / 'oof_predictions.npz', probs=probs,
             gt_label=inputs.labels, group_id=inputs.groups, fold=fold,
             index=np.arange(len(fold)),
             filename=np.array([''] * len(fold)),
             classes=np.array(inputs.classes))
    return str(work), inputs


def test_kfold_input(trained, tmp_path, capsys):
    work, inputs = _oof(trained, tmp_path)
    code, out, err = _main([trained[0], '--kfold', work, '--out-dir',
                            tmp_path / 'out', '--resamples', 200], capsys)
    assert code == 0, err
    assert 'out-of-fold predictions' in out
    # τ-normalisation needs the classifier, not probabilities
    assert 'not tried: the out-of-fold file holds probabilities' in out
    # the never-validated class cannot be scored and is named
    assert 'classes that cannot be scored (no image): 9' in out
    text = (tmp_path / 'out' / 'advice.md').read_text()
    assert "images of classes no fold validated are left out: ['9']" in text


def test_a_deployment_prior_from_probabilities(trained, tmp_path, capsys):
    config, checkpoint = trained
    work, inputs = _oof(trained, tmp_path)
    # unlabelled "deployment" predictions: the val images of the 3 head
    # classes only
    keep = inputs.labels < 3
    probs = softmax(inputs.logits[keep], axis=1)
    path = tmp_path / 'deploy.csv'
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow([f'p_{c}' for c in inputs.classes])
        writer.writerows(probs.tolist())
    code, out, err = _main([config, '--kfold', work, '--estimate-prior',
                            path, '--out-dir', tmp_path / 'out',
                            '--resamples', 200], capsys)
    assert code == 0, err
    assert 'prior shift (estimated by EM from 120 unlabelled images' in out
    assert 'top-1 at the target prior' in out
    data = json.load(open(tmp_path / 'out' / 'advice.json'))
    assert data['selection_metric'] == 'target_top1'
    prior = np.array(data['options']['target_prior'])
    assert prior[:3].sum() > 0.8  # mostly the three classes it was given


@pytest.mark.parametrize('extra, message', [
    (['--cfg-options', 'model.head.num_classes=11'],
     r"has 10 classes \(head.fc.weight of shape \(10, 16\)\) but the "
     r"config's model has 11"),
    (['--lift-group', '7'], r'no scored image is in group 7; the groups '
     r'that occur are \[0, 1\]'),
    (['--retrain'], r'--retrain \(cRT and LWS from the checkpoint\) is not '
     'available'),
    (['--kfold', 'somewhere'], 'either a CHECKPOINT or --kfold'),
])
def test_bad_input_is_named(trained, tmp_path, capsys, extra, message):
    import re
    config, checkpoint = trained
    code, _, err = _main([config, checkpoint, '--out-dir', tmp_path,
                          '--resamples', 50, '--device', 'cpu', *extra],
                         capsys)
    assert code == 2
    assert re.search(message, err), err


def test_a_bad_prior_file_is_named(trained, tmp_path, capsys):
    config, checkpoint = trained
    prior = tmp_path / 'prior.txt'
    prior.write_text('1\n2\n')
    code, _, err = _main([config, checkpoint, '--target-prior', prior,
                          '--out-dir', tmp_path, '--device', 'cpu'], capsys)
    assert code == 2
    assert f'{prior}: 2 weights but there are 10 classes' in err


def test_too_few_images_for_an_interval(trained, tmp_path, capsys):
    import re
    config, checkpoint = trained
    code, out, err = _main([config, checkpoint, '--min-images', 100000,
                            '--resamples', 50, '--out-dir', tmp_path,
                            '--device', 'cpu'], capsys)
    assert code == 0, err
    assert 'too few images for an interval: 400 < 100000' in out
    table = out.split('recommendation')[0].split('-----')[-1]
    assert not re.search(r'[+-]\d+\.\d\d \[', table)  # no interval
    assert 'keep the model as it is' in out
