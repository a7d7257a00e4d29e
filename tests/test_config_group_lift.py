"""Every group-lift config (configs/group_lift and its routed ensemble)
trains and tests on a tiny set written by the group-lift generator, and
reports both groups' accuracies."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.datasets.group_lift import write_group_lift_data
from test_datasets.group_lift_helpers import write_fake_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'group_lift', '*.py')))
ROUTED = osp.join(ROOT, 'configs', 'ensemble',
                  'group-routed_resnet20_1xb256_fashion-mnist-group-lift.py')
# 32 training images: one batch of 32, one iteration per epoch
N = 32

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    source = tmp_path_factory.mktemp('fashion_mnist')
    write_fake_fashion_mnist(source)
    out = str(tmp_path_factory.mktemp('group_lift'))
    manifest, _ = write_group_lift_data(out, 'degraded', seed=0,
                                        data_root=str(source), max_images=N)
    # both groups are in the tiny training set
    assert all(sum(manifest['counts']['train'][f'group{g}']) > 0
               for g in (0, 1))
    return out


def _loaders(cfg, root, splits):
    for split in splits:
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = root
        loader.num_workers = 0
        loader.persistent_workers = False


def test_there_are_the_planned_rows():
    names = {osp.basename(p).split('_')[0] for p in CONFIGS}
    assert names == {'ce', 'ce-group1x2', 'ce-group1x2-groupsampler',
                     'ce-group1-curriculum', 'focal-group1-strongaug',
                     'softmax-focal', 'ce-group1-strongaug',
                     'group-multitask'}


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_trains_and_tests_on_generated_data(path, tiny, tmp_path):
    cfg = Config.fromfile(path)
    _loaders(cfg, tiny, ('train', 'val', 'test'))
    cfg.train_dataloader.batch_size = N
    cfg.work_dir = str(tmp_path)
    # two epochs of one iteration (the curriculum needs its keys on
    # distinct epochs); the protocol's 5-epoch warm-up does not fit
    cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler = []
    cfg.default_hooks.long_tail_context.plot = False
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    metrics = runner.test()
    for g in (0, 1):
        assert 0 <= metrics[f'long_tail/group{g}_accuracy'] <= 100


def test_routed_ensemble_tests_on_generated_data(tiny, tmp_path):
    cfg = Config.fromfile(ROUTED)
    _loaders(cfg, tiny, ('test', ))
    for member in cfg.model.members:
        # members keep the weights they are built with (no checkpoint)
        member.config = osp.join(ROOT, member.config)
        member.checkpoint = None
    cfg.work_dir = str(tmp_path)
    metrics = Runner.from_cfg(cfg).test()
    assert {'long_tail/group0_accuracy',
            'long_tail/group1_accuracy'} <= set(metrics)
