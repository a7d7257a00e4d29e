"""``tools/test.py --tta`` tests the checkpoint's weights, also when the
config has an EMAHook (which under TTA would load random weights: the trap
in merge_test_args's docstring), and the TTA snippets of configs/_base_/tta
build the views they promise."""
import importlib.util
import os.path as osp
import pickle
import sys
from unittest import mock

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from common_args import build_test_parser
from mmlt.apis import merge_test_args
from mmlt.utils import is_trusted_checkpoint, load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EMA_CONFIG = osp.join(ROOT, 'tests', 'data', 'configs', 'digits_ema_tiny.py')
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')

# Images squeezed to one column and stretched back: every row is constant,
# so the image equals its mirror and flip TTA must give the plain scores.
SYMMETRIC_CONFIG = """
_base_ = [{base!r}]
symmetric = [
    dict(type='Resize', scale=(1, 32), interpolation='bilinear'),
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_dataloader = dict(dataset=dict(pipeline=symmetric))
"""


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'mmlt_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(module, *argv):
    with mock.patch.object(sys, 'argv', [module.__file__, *map(str, argv)]):
        module.main()


def run_test(config, checkpoint, work_dir, *options, tool=None):
    """Scores (N, C) and labels (N,) that tools/test.py dumps with --out."""
    out = osp.join(work_dir, 'preds.pkl')
    run_tool(tool or load_tool('test'), config, checkpoint, '--work-dir',
             work_dir, '--out', out, *options)
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    scores = torch.stack([torch.as_tensor(p['pred_score']) for p in preds])
    labels = torch.cat([torch.as_tensor(p['gt_label']) for p in preds])
    return scores, labels


@pytest.fixture(scope='module')
def ema_checkpoint(tmp_path_factory):
    """A 2-iteration digits run with an EMAHook (in its own work dir)."""
    work_dir = tmp_path_factory.mktemp('ema_train')
    run_tool(load_tool('train'), EMA_CONFIG, '--work-dir', work_dir)
    return str(work_dir / 'epoch_1.pth')


@pytest.fixture(scope='module')
def symmetric_config(tmp_path_factory):
    path = tmp_path_factory.mktemp('configs') / 'symmetric.py'
    path.write_text(SYMMETRIC_CONFIG.format(base=EMA_CONFIG))
    return str(path)


@pytest.fixture(scope='module')
def plain_scores(ema_checkpoint, symmetric_config, tmp_path_factory):
    """Plain testing (the EMAHook swaps the EMA weights in) from another
    work dir: the checkpoint loads as untrusted (weights_only and mmlt's
    allow-list for the message hub)."""
    assert not is_trusted_checkpoint(ema_checkpoint)
    return run_test(symmetric_config, ema_checkpoint,
                    tmp_path_factory.mktemp('plain'))


def test_the_checkpoint_holds_differing_ema_and_raw_weights(ema_checkpoint):
    ckpt = load_checkpoint_file(ema_checkpoint, 'cpu', trusted=True)
    ema, raw = ckpt['state_dict'], ckpt['ema_state_dict']
    key = 'head.fc.weight'
    assert not torch.allclose(ema[key], raw[f'module.{key}'], atol=1e-4)
    assert 'message_hub' in ckpt  # a full mmengine checkpoint


def test_symmetric_pipeline_gives_mirror_invariant_images(symmetric_config):
    from mmpretrain.registry import DATASETS
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(symmetric_config)
    item = DATASETS.build(cfg.test_dataloader.dataset)[0]
    img = item['inputs']
    assert img.shape == (3, 32, 32) and img.float().std() > 0
    assert torch.equal(img, img.flip(-1))


def test_tta_scores_equal_plain_scores_with_ema_hook(
        ema_checkpoint, symmetric_config, plain_scores, tmp_path):
    assert 'EMAHook' in [h['type'] for h in Config.fromfile(
        symmetric_config).custom_hooks]
    plain, labels = plain_scores
    tta, tta_labels = run_test(symmetric_config, ema_checkpoint,
                               tmp_path / 'tta', '--tta')
    assert plain.shape == tta.shape == (64, 10)
    assert torch.equal(labels, tta_labels)
    torch.testing.assert_close(tta, plain, atol=1e-5, rtol=0)
    assert torch.equal(tta.argmax(1), plain.argmax(1))


def test_without_dropping_the_ema_hook_tta_scores_differ(
        ema_checkpoint, symmetric_config, plain_scores, tmp_path):
    """The check above can fail: keep the EMAHook under --tta and the
    wrapped model tests weights that are not the checkpoint's."""
    tool = load_tool('test')

    def merge_keeping_ema_hook(cfg, args):
        hooks = list(cfg.custom_hooks)
        cfg = merge_test_args(cfg, args)
        cfg.custom_hooks = hooks
        return cfg

    plain, _ = plain_scores
    tool.merge_test_args = merge_keeping_ema_hook
    trapped, _ = run_test(symmetric_config, ema_checkpoint,
                          tmp_path / 'trap', '--tta', tool=tool)
    assert (trapped - plain).abs().max() > 1e-3


# --------------------------------------------------------------------------
# The snippets: views, sizes and what each view holds.
def tta_views(snippet):
    """The views of the first test image under ``snippet`` and the plain
    test pipeline's image."""
    from mmpretrain.registry import DATASETS
    init_default_scope('mmpretrain')
    base = Config.fromfile(DEMO)
    plain = DATASETS.build(base.test_dataloader.dataset)[0]['inputs']
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict(
        Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'tta',
                                 snippet)).to_dict())
    args = build_test_parser().parse_args([DEMO, 'x.pth', '--tta'])
    cfg = merge_test_args(cfg, args)
    assert cfg.model.type == 'AverageClsScoreTTA'
    item = DATASETS.build(cfg.test_dataloader.dataset)[0]
    assert all(s.get('group_id') is not None for s in item['data_samples'])
    return item['inputs'], plain


def test_flip_snippet():
    views, plain = tta_views('flip.py')
    assert len(views) == 2
    assert torch.equal(views[1], plain)
    assert torch.equal(views[0], plain.flip(-1))


def test_multiscale_snippet_views_are_32_pixels():
    views, plain = tta_views('multiscale.py')
    assert [tuple(v.shape) for v in views] == [(3, 32, 32)] * 3
    small, same, large = views
    assert torch.equal(same, plain)
    # 0.9x: a 29-pixel image padded with background at right and bottom
    assert (small[:, 29:, :] == 0).all() and (small[:, :, 29:] == 0).all()
    assert small[:, :29, :29].any()
    # 1.1x: more ink than at 1x (the digit is larger), same size
    assert large.float().sum() > same.float().sum() > small.float().sum()


def test_flip_multiscale_snippet_has_six_views():
    views, plain = tta_views('flip_multiscale.py')
    assert len(views) == 6
    assert [tuple(v.shape) for v in views] == [(3, 32, 32)] * 6
    # the product is (scale, flip): flipped then plain at each scale
    for flipped, unflipped in zip(views[0::2], views[1::2]):
        assert torch.equal(flipped, unflipped.flip(-1))
    assert torch.equal(views[3], plain)


def test_convnext_needs_32_pixels():
    """Why the snippets pad the 0.9x view back to 32 pixels."""
    from mmpretrain.registry import MODELS
    model = MODELS.build(Config.fromfile(DEMO).model).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 35, 35)).shape == (1, 10)
        with pytest.raises(RuntimeError, match='Kernel size'):
            model(torch.zeros(1, 3, 29, 29))


def test_a_tta_config_runs_end_to_end(ema_checkpoint, tmp_path):
    config = osp.join(ROOT, 'configs', 'tta',
                      'multiscale-tta_convnext-atto_2xb32_digits-lt.py')
    scores, labels = run_test(config, ema_checkpoint, tmp_path, '--tta',
                              '--cfg-options',
                              'test_dataloader.dataset.indices=8')
    assert scores.shape == (8, 10) and labels.shape == (8, )
    torch.testing.assert_close(scores.sum(1), torch.ones(8))
    assert np.isfinite(scores.numpy()).all()
