"""tools/analysis_tools/tau_norm_search.py and mmlt.apis.tau_norm_search."""
import json
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.apis.tau_norm_search import (best_tau, extract_features,
                                       format_table, prediction_scores,
                                       search_taus)
from mmlt.models.heads import tau_normalize
from mmlt.registry import MODELS
from model_helpers import tiny_convnext

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'tau_norm_search.py')
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')


pytestmark = pytest.mark.usefixtures('one_thread')


# ------------------------------------------------------------ pure parts
def _toy(seed=0):
    """Features of 3 classes; the head class has by far the largest row."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.eye(3) * 3
    labels = torch.arange(3).repeat_interleave(40)
    feats = centres[labels] + torch.randn(120, 3, generator=gen)
    weight = torch.eye(3) * torch.tensor([[8.], [1.], [0.5]])
    return feats, labels, weight


def test_rows_score_every_tau_and_the_plain_classifier():
    feats, labels, weight = _toy()
    bias = torch.tensor([1., 0., 0.])
    rows = search_taus(feats, labels, weight, [0, 0.5, 1], bias=bias,
                       class_counts=np.array([500, 50, 5]))
    assert [r['tau'] for r in rows] == [None, 0., 0.5, 1.]
    for row in rows[1:]:
        pred = (feats @ tau_normalize(weight, row['tau']).t()).argmax(1)
        assert row['top1'] == pytest.approx(
            (pred == labels).float().mean().item())
    plain = (feats @ weight.t() + bias).argmax(1)
    assert rows[0]['top1'] == pytest.approx(
        (plain == labels).float().mean().item())
    # balancing the norms helps the tail here: τ=1 beats τ=0
    assert rows[3]['balanced_accuracy'] > rows[1]['balanced_accuracy']
    # shots from the counts (OLTR thresholds 100 / 20): one class each
    assert rows[3]['few'] == pytest.approx(
        ((feats @ tau_normalize(weight, 1.).t()).argmax(1)[labels == 2]
         == 2).float().mean().item())
    assert best_tau(rows)['tau'] == 1.0


def test_best_tau_ignores_the_plain_row_and_breaks_ties_by_small_tau():
    rows = [dict(tau=None, top1=1., balanced_accuracy=1.),
            dict(tau=0.2, top1=.5, balanced_accuracy=.7),
            dict(tau=0.1, top1=.6, balanced_accuracy=.7),
            dict(tau=0.3, top1=.8, balanced_accuracy=.6)]
    assert best_tau(rows)['tau'] == 0.1
    assert best_tau(rows, 'top1')['tau'] == 0.3
    with pytest.raises(ValueError, match="metric='few'"):
        best_tau(rows, 'few')
    table = format_table(rows, best_tau(rows))
    lines = table.splitlines()  # header, rule, one line per row
    assert 'W h + b' in lines[2] and lines[4].split()[0] == '0.1'
    assert lines[4].endswith('<- best')
    assert sum('<- best' in line for line in lines) == 1


@pytest.mark.parametrize('taus, message', [
    ([0, -0.5], r'tau=-0\.5'),
    ([float('nan')], 'tau=nan'),
    ([], r'taus=\[\]'),
    ('0.5', "taus='0.5'"),
])
def test_bad_taus_are_named(taus, message):
    feats, labels, weight = _toy()
    with pytest.raises(ValueError, match=message):
        search_taus(feats, labels, weight, taus)


def test_prediction_scores_without_counts_leave_shots_undefined():
    row = prediction_scores(np.array([0, 1, 1, 1]), np.array([0, 0, 1, 1]),
                            2)
    assert row['top1'] == 0.75 and row['balanced_accuracy'] == 0.75
    assert np.isnan(row['many']) and np.isnan(row['few'])


# ---------------------------------------------------- the tool, end to end
def _config(tmp_path, held_out=False):
    cfg = Config.fromfile(DEMO)
    cfg.model.backbone = tiny_convnext()
    cfg.model.head.in_channels = 16
    cfg.model.head.loss = dict(type='CrossEntropyLoss')
    if held_out:
        # τ is chosen on a fifth of the test split, the rest is the test set
        test = cfg.test_dataloader.dataset
        cfg.val_dataloader.dataset = dict(
            type='KFoldDataset', dataset=test, fold=0, num_splits=5,
            test_mode=True, seed=0)
        cfg.test_dataloader.dataset = dict(
            type='KFoldDataset', dataset=test, fold=0, num_splits=5,
            test_mode=False, seed=0)
    path = str(tmp_path / ('held_out.py' if held_out else 'digits.py'))
    cfg.dump(path)
    return path


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A tiny model whose classifier rows have very different norms."""
    tmp = tmp_path_factory.mktemp('ckpt')
    cfg = Config.fromfile(_config(tmp))
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    model.init_weights()
    with torch.no_grad():
        model.head.fc.weight.mul_(torch.logspace(1, -1, 10)[:, None])
    model.head.set_class_counts([134, 104, 80, 62, 48, 37, 29, 22, 17, 13])
    path = str(tmp / 'stage1.pth')
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), path)
    return path


def _run_tool(args, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [TOOL] + [str(a) for a in args])
    runpy.run_path(TOOL, run_name='__main__')


def _runner_top1s(config, checkpoint, work_dir, *cases):
    """Top-1 on the val split of one real Runner (what tools/test.py does)
    for each ``(checkpoint or None for the config's, tau_norm)``."""
    cfg = Config.fromfile(config)
    cfg.load_from = checkpoint
    cfg.work_dir = str(work_dir)
    cfg.val_evaluator = dict(type='LongTailMetric', topk=(1, ))
    cfg.default_hooks.long_tail_context.plot = False
    runner = Runner.from_cfg(cfg)
    runner.val()  # loads cfg.load_from
    top1 = []
    for path, tau in cases:
        if path is not None:
            runner.load_checkpoint(path)
        runner.model.head.set_tau_norm(tau)
        top1.append(runner.val_loop.run()['long_tail/top1'] / 100)
    return top1


def test_tool_picks_the_best_tau_of_its_table(tmp_path, checkpoint,
                                              monkeypatch, capsys):
    config = _config(tmp_path, held_out=True)
    out, saved = tmp_path / 'result.json', tmp_path / 'tau.pth'
    taus = [0, 0.25, 0.5, 1, 1.5]
    _run_tool([config, checkpoint, '--taus', *taus, '--out', out,
               '--save-checkpoint', saved, '--device', 'cpu'], monkeypatch)
    printed = capsys.readouterr()
    assert 'WARNING' not in printed.err  # a held-out split, not the test set
    result = json.loads(out.read_text())
    rows = result['rows']
    assert [r['tau'] for r in rows] == [None] + [float(t) for t in taus]
    best = max(rows[1:], key=lambda r: (r['balanced_accuracy'], -r['tau']))
    assert result['best_tau'] == best['tau']
    assert f'model.head.tau_norm={best["tau"]:g}' in printed.out
    # the fold of 400 digits test images: 80 images
    assert result['num_samples'] == 80
    # the tool's scores are what a Runner gets from the head's own
    # (τ-normalised) predictions, data preprocessing included; the saved
    # checkpoint makes the plain head predict with the τ-normalised
    # classifier (bias 0)
    ckpt = torch.load(saved, weights_only=True)
    assert ckpt['meta']['tau_norm'] == best['tau']
    assert not ckpt['state_dict']['head.fc.bias'].any()
    tau_top1, plain_top1, saved_top1 = _runner_top1s(
        config, checkpoint, tmp_path / 'runner', (None, best['tau']),
        (None, None), (str(saved), None))
    assert tau_top1 == pytest.approx(best['top1'])
    assert plain_top1 == pytest.approx(rows[0]['top1'])
    assert saved_top1 == pytest.approx(best['top1'])


def test_tool_warns_when_val_is_the_test_set(tmp_path, checkpoint,
                                             monkeypatch, capsys):
    _run_tool([_config(tmp_path), checkpoint, '--taus', 0, 1, '--device',
               'cpu'], monkeypatch)
    printed = capsys.readouterr()
    assert 'WARNING' in printed.err and 'test set' in printed.err
    assert '(400 images)' in printed.out


def test_tool_rejects_a_negative_tau(tmp_path, checkpoint, monkeypatch):
    with pytest.raises(ValueError, match=r'tau=-0\.1'):
        _run_tool([_config(tmp_path), checkpoint, '--taus', 0.5, -0.1,
                   '--device', 'cpu'], monkeypatch)


def test_tool_rejects_an_lws_head(tmp_path, checkpoint, monkeypatch):
    with pytest.raises(ValueError, match='lws=True'):
        _run_tool([_config(tmp_path), checkpoint, '--cfg-options',
                   'model.head.lws=True'], monkeypatch)


def test_features_are_what_predict_uses(tmp_path, checkpoint):
    cfg = Config.fromfile(_config(tmp_path))
    init_default_scope('mmpretrain')
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    model.load_state_dict(state)
    cfg.val_dataloader.dataset.indices = 16
    loader = Runner.build_dataloader(cfg.val_dataloader)
    feats, labels = extract_features(model, loader)
    assert feats.shape == (16, 16) and labels.shape == (16, )
    batch = next(iter(loader))
    with torch.no_grad():
        out = model.test_step(batch)
    expected = torch.stack([s.pred_score for s in out])
    torch.testing.assert_close(
        torch.softmax(model.head.fc(feats), 1)[:len(expected)], expected)
