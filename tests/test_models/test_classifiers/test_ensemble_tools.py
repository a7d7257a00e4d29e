"""The ensemble configs with tools/test.py: 'none' as the checkpoint, --tta,
and end-to-end runs on digits."""
import copy
import importlib.util
import os.path as osp
import pickle
import sys
from unittest import mock

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from common_args import build_test_parser
from mmlt.apis import merge_test_args
from mmlt.registry import DATASETS, MODELS
from .ensemble_helpers import DEMO, ROOT, save_mmengine_checkpoint, scores_of

ENSEMBLE_DIR = osp.join(ROOT, 'configs', 'ensemble')
SCORE_CFG = osp.join(ENSEMBLE_DIR,
                     'score-ensemble-2seeds_convnext-atto_1xb64_digits-lt.py')
ROUTED_CFG = osp.join(ENSEMBLE_DIR,
                      'group-routed_convnext-atto_1xb64_digits-lt.py')


def merged(config, *argv):
    args = build_test_parser().parse_args([config, *argv])
    return merge_test_args(Config.fromfile(config), args)


@pytest.mark.parametrize('config', [SCORE_CFG, ROUTED_CFG],
                         ids=osp.basename)
def test_example_configs(config):
    cfg = merged(config, 'none')
    assert cfg.load_from is None
    assert cfg.data_preprocessor is None
    assert cfg.train_dataloader is None and cfg.val_dataloader is None
    assert cfg.test_dataloader.dataset.pipeline[-1] == dict(
        type='PackInputs', algorithm_keys=['group_id'])
    assert 'mmlt' in cfg.custom_imports['imports']
    for member in cfg.model.members:
        # paths are relative to the repository root, as work_dirs
        assert osp.isfile(osp.join(ROOT, member.config)), member.config
        assert member.checkpoint.startswith('work_dirs/')
        assert Config.fromfile(osp.join(ROOT, member.config)).model.head \
            .num_classes == 10
    # under --tta the ensemble scores each view; no normalising
    # preprocessor is pushed into it
    cfg = merged(config, 'none', '--tta')
    assert cfg.model.type == 'mmpretrain.AverageClsScoreTTA'
    assert cfg.model.module.type == Config.fromfile(config).model.type
    assert 'data_preprocessor' not in cfg.model


def test_none_checkpoint_is_only_for_ensembles():
    with pytest.raises(ValueError, match="checkpoint 'none' would test "
                       "model type 'ImageClassifier' with untrained"):
        merged(DEMO, 'none')
    assert merged(DEMO, 'w/epoch_1.pth').load_from == 'w/epoch_1.pth'


def run_test_tool(config, work_dir, *options):
    """tools/test.py on 16 test images: the dumped predictions and the
    metrics."""
    from mmengine.runner import Runner
    spec = importlib.util.spec_from_file_location(
        'mmlt_tools_test', osp.join(ROOT, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = osp.join(work_dir, 'preds.pkl')
    argv = ['test.py', config, 'none', '--work-dir', work_dir, '--out', out,
            '--cfg-options', 'test_dataloader.dataset.indices=16', *options]
    metrics = {}
    runner_test = Runner.test

    def test_keeping_metrics(runner):
        metrics.update(runner_test(runner))
        return metrics

    with mock.patch.object(sys, 'argv', argv), \
            mock.patch.object(Runner, 'test', test_keeping_metrics):
        tool.main()
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    scores = torch.stack([torch.as_tensor(p['pred_score']) for p in preds])
    return scores, preds, metrics


@pytest.fixture(scope='module')
def demo_checkpoints(tmp_path_factory):
    """Two differently initialised demo models, saved as mmengine does."""
    folder = tmp_path_factory.mktemp('members')
    paths = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        model = MODELS.build(Config.fromfile(DEMO).model)
        with torch.no_grad():  # a head that is far from uniform
            model.head.fc.weight.mul_(20.)
        paths.append(save_mmengine_checkpoint(
            model, str(folder / f'seed{seed}.pth')))
    return paths


def member_scores_on_test_data(config, checkpoint, flip=False):
    """Scores of a demo model on the first 16 test images (mirrored with
    ``flip``), by hand."""
    from mmengine.runner import load_checkpoint
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config)
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg.indices = 16
    data = pseudo_collate(list(DATASETS.build(dataset_cfg)))
    if flip:
        data['inputs'] = [img.flip(-1) for img in data['inputs']]
    model_cfg = Config.fromfile(DEMO)
    model_cfg.model.data_preprocessor = model_cfg.data_preprocessor
    model = MODELS.build(model_cfg.model).eval()
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    with torch.no_grad():
        return scores_of(model.test_step(data)), data['data_samples']


def write_config(path, base, model):
    path.write_text(f'_base_ = [{base!r}]\nmodel = {model!r}\n')
    return str(path)


def test_score_ensemble_runs_in_tools_test(demo_checkpoints, tmp_path):
    members = [
        dict(name='a', config=DEMO, checkpoint=demo_checkpoints[0]),
        dict(name='b', config=DEMO, checkpoint=demo_checkpoints[1],
             weight=3.0),
    ]
    config = write_config(tmp_path / 'ensemble.py', SCORE_CFG,
                          dict(_delete_=True, type='ScoreEnsemble',
                               members=members))
    scores, preds, metrics = run_test_tool(config, str(tmp_path / 'plain'))
    s_a, samples = member_scores_on_test_data(config, demo_checkpoints[0])
    s_b, _ = member_scores_on_test_data(config, demo_checkpoints[1])
    assert not torch.allclose(s_a, s_b, atol=1e-3)
    torch.testing.assert_close(scores, (s_a + 3 * s_b) / 4)
    assert [p['gt_label'].item() for p in preds] == \
        [s.gt_label.item() for s in samples]
    assert 0 <= metrics['long_tail/top1'] <= 100
    assert 'long_tail/group1_accuracy' in metrics

    # --tta (MMPretrain's default: the image and its mirror): every view is
    # scored by the whole ensemble
    tta, _, _ = run_test_tool(config, str(tmp_path / 'tta'), '--tta')
    f_a, _ = member_scores_on_test_data(config, demo_checkpoints[0], True)
    f_b, _ = member_scores_on_test_data(config, demo_checkpoints[1], True)
    torch.testing.assert_close(tta, ((s_a + f_a) / 2 + 3 * (s_b + f_b) / 2) /
                               4)
    assert not torch.allclose(tta, scores, atol=1e-4)


def test_group_routed_ensemble_runs_in_tools_test(demo_checkpoints,
                                                  tmp_path):
    model = dict(
        _delete_=True,
        type='GroupRoutedEnsemble',
        members=[
            dict(name='spec', config=DEMO, checkpoint=demo_checkpoints[0]),
            dict(name='rest', config=DEMO, checkpoint=demo_checkpoints[1]),
        ],
        routes={1: 'spec'},
        fallback='rest')
    config = write_config(tmp_path / 'routed.py', ROUTED_CFG, model)
    scores, preds, metrics = run_test_tool(config, str(tmp_path))
    s_spec, samples = member_scores_on_test_data(config, demo_checkpoints[0])
    s_rest, _ = member_scores_on_test_data(config, demo_checkpoints[1])
    groups = torch.tensor([int(s.group_id) for s in samples])
    is_one = groups == 1
    assert 0 < int(is_one.sum()) < len(groups)
    assert torch.equal(torch.tensor([int(p['group_id']) for p in preds]),
                       groups)
    torch.testing.assert_close(scores[is_one], s_spec[is_one])
    torch.testing.assert_close(scores[~is_one], s_rest[~is_one])
    assert {'long_tail/group0_accuracy',
            'long_tail/group1_accuracy'} <= set(metrics)
