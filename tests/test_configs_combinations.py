"""configs/combinations/: each config is its stated delta on one
single-method config of the protocol (nothing else differs), the strong
augmentations run on Fashion-MNIST's 28x28 grey images, the class-balanced
classifier stage starts from the logit-adjusted model with plain
cross-entropy, and a few configs train for two iterations on real data."""
import glob
import os.path as osp
from typing import Any, Dict

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmlt  # noqa: F401

from data_helpers import needs_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STEM = '_resnet20_1xb128_fashion-mnist-lt1k-ir100'
FOLDER = osp.join(ROOT, 'configs', 'combinations')
LOSSES = osp.join(ROOT, 'configs', 'losses')
BATCH = ('data_preprocessor.batch_augments', )
PIPELINE = ('train_dataloader.dataset.dataset.pipeline', )
# config -> (the single-method config it changes, what it changes)
DELTAS = {
    'logit-adjusted-mixup': ('logit-adjusted', BATCH),
    'logit-adjusted-cutmix': ('logit-adjusted', BATCH),
    'balanced-softmax-mixup': ('balanced-softmax', BATCH),
    'balanced-softmax-cutmix': ('balanced-softmax', BATCH),
    'logit-adjusted-drs': ('logit-adjusted',
                           ('train_dataloader.sampler',
                            'default_hooks.deferred_resampling')),
    'logit-adjusted-crt': ('logit-adjusted',
                           ('load_from', 'model.head.loss',
                            'train_dataloader.sampler',
                            'default_hooks.classifier_retrain',
                            'default_hooks.load_from_check',
                            'param_scheduler', 'train_cfg', 'crt_stage2')),
    'logit-adjusted-randaugment': ('logit-adjusted',
                                   PIPELINE + ('randaugment_train_pipeline',
                                               )),
    'logit-adjusted-autoaugment': ('logit-adjusted',
                                   PIPELINE + ('autoaugment_train_pipeline',
                                               )),
    'ldam-drw-randaugment': ('ldam-drw',
                             PIPELINE + ('randaugment_train_pipeline', )),
    'ldam-drw-autoaugment': ('ldam-drw',
                             PIPELINE + ('autoaugment_train_pipeline', )),
    'logit-adjusted-swa': ('logit-adjusted', ('default_hooks.swa', )),
    'logit-adjusted-ema': ('logit-adjusted', ('default_hooks.ema', )),
    'logit-adjusted-200e': ('logit-adjusted',
                            ('train_cfg.max_epochs',
                             'train_cfg.dynamic_intervals')),
}
STRONG = [name for name in DELTAS if name.endswith('augment')]
# the oracle with a recipe -> (the long-tailed config whose recipe it
# copies, what it changes on the oracle); mixing needs the soft target
ORACLE_STEM = '_resnet20_1xb128_fashion-mnist-balanced248'
ORACLE = osp.join(ROOT, 'configs', 'baselines',
                  'resnet20_ce_1xb128_fashion-mnist-balanced248.py')
SOFT_CE = ('model.head.loss', )
ORACLE_DELTAS = {
    'oracle-mixup': ('logit-adjusted-mixup', BATCH + SOFT_CE),
    'oracle-cutmix': ('logit-adjusted-cutmix', BATCH + SOFT_CE),
    'oracle-randaugment': ('logit-adjusted-randaugment',
                           PIPELINE + ('randaugment_train_pipeline', )),
    'oracle-autoaugment': ('logit-adjusted-autoaugment',
                           PIPELINE + ('autoaugment_train_pipeline', )),
    'oracle-swa': ('logit-adjusted-swa', ('default_hooks.swa', )),
    'oracle-ema': ('logit-adjusted-ema', ('default_hooks.ema', )),
    'oracle-200e': ('logit-adjusted-200e',
                    ('train_cfg.max_epochs', 'train_cfg.dynamic_intervals')),
    # weight balancing's stage 1, in its own folder
    'oracle-weight-decay': (osp.join(ROOT, 'configs', 'weight_balancing',
                                     'wb-stage1' + STEM + '.py'),
                            ('optim_wrapper.optimizer.weight_decay', )),
}

pytestmark = pytest.mark.usefixtures('one_thread')


def _path(name: str, folder: str = FOLDER) -> str:
    return osp.join(folder, f'{name}{STEM}.py')


def _flat(node: Any, prefix: str = '') -> Dict[str, Any]:
    """``{'a.b.c': leaf}`` of nested dicts (lists are leaves)."""
    if not isinstance(node, dict) or not node:
        return {prefix: node}
    out = {}
    for key, value in node.items():
        out.update(_flat(value, f'{prefix}.{key}' if prefix else key))
    return out


def test_every_config_of_the_folder_has_its_delta():
    on_disk = {osp.basename(p)[:-3] for p in glob.glob(osp.join(FOLDER,
                                                                '*.py'))}
    assert on_disk == {n + STEM for n in DELTAS} | \
        {n + ORACLE_STEM for n in ORACLE_DELTAS}


def _changed(cfg: Dict[str, Any], base: Dict[str, Any], delta) -> set:
    """The flat keys where ``cfg`` and ``base`` differ; asserts they all
    lie under ``delta``'s keys."""
    changed = {k for k in set(cfg) | set(base)
               if cfg.get(k, KeyError) != base.get(k, KeyError)}
    outside = sorted(k for k in changed
                     if not any(k == d or k.startswith(d + '.')
                                for d in delta))
    assert not outside, outside
    assert changed, 'no delta at all'
    return changed


@pytest.mark.parametrize('name', sorted(ORACLE_DELTAS))
def test_a_recipe_oracle_is_the_recipe_on_the_oracle(name):
    """oracle-<recipe> changes the oracle where the long-tailed config
    of that recipe changes its method's config, with the same values (the
    loss aside: cross-entropy on the soft target for mixing)."""
    twin, delta = ORACLE_DELTAS[name]
    cfg = _flat(Config.fromfile(osp.join(FOLDER,
                                         f'{name}{ORACLE_STEM}.py')).to_dict())
    changed = _changed(cfg, _flat(Config.fromfile(ORACLE).to_dict()), delta)
    lt = _flat(Config.fromfile(
        twin if twin.endswith('.py') else _path(twin)).to_dict())
    for key in changed:
        if not key.startswith(SOFT_CE):
            assert cfg[key] == lt[key], key
    if SOFT_CE[0] in delta:
        assert cfg['model.head.loss.type'] == 'CrossEntropyLoss'
        assert cfg['model.head.loss.use_soft'] is True
    # still the balanced draw
    assert cfg['train_dataloader.dataset.imbalance_ratio'] == 1


@pytest.mark.parametrize('name', sorted(DELTAS))
def test_a_config_is_its_delta_on_one_method(name):
    method, delta = DELTAS[name]
    cfg = _flat(Config.fromfile(_path(name)).to_dict())
    base = _flat(Config.fromfile(_path(method, LOSSES)).to_dict())
    _changed(cfg, base, delta)


@pytest.mark.parametrize('name', STRONG)
def test_strong_augmentation_runs_on_28x28_grey_images(name):
    """The training pipeline as the config builds it, on images as
    MMPretrain's FashionMNIST gives them (28x28 uint8, one channel)."""
    cfg = Config.fromfile(_path(name))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(cfg.train_dataloader.dataset.dataset.pipeline)
    rng = np.random.RandomState(0)
    img = np.zeros((28, 28), np.uint8)
    img[6:22, 8:20] = rng.randint(60, 256, (16, 12))  # an object on black
    np.random.seed(0)
    outputs = []
    for _ in range(100):
        out = pipeline(dict(img=img.copy(), gt_label=3))
        assert tuple(out['inputs'].shape) == (1, 28, 28)
        assert out['inputs'].dtype == torch.uint8
        outputs.append(out['inputs'][0].numpy())
    # the policy makes intensities the image does not have (a crop or a
    # flip only moves the ones it has)
    values = set(np.unique(img).tolist())
    new = sum(not set(np.unique(o).tolist()) <= values for o in outputs)
    assert new > 30, new


def test_the_classifier_stage_starts_from_the_logit_adjusted_model():
    cfg = Config.fromfile(_path('logit-adjusted-crt'))
    stage1 = Config.fromfile(_path('logit-adjusted', LOSSES))
    assert cfg.load_from == (f'work_dirs/logit-adjusted{STEM}/'
                             f'epoch_{stage1.train_cfg.max_epochs}.pth')
    # plain cross-entropy on class-balanced batches: the prior is removed
    # once, by the sampler
    assert cfg.model.head.loss == dict(type='CrossEntropyLoss',
                                       loss_weight=1.0)
    assert stage1.model.head.loss.type == 'LogitAdjustedLoss'
    assert cfg.train_dataloader.sampler == dict(type='RebalancedSampler',
                                                strategy='class_balanced')
    assert cfg.default_hooks.classifier_retrain.type == \
        'ClassifierRetrainHook'
    assert cfg.default_hooks.load_from_check.strict is True
    assert cfg.model.head.get('logit_adjust_tau', 0) == 0


def test_the_longer_schedule_keeps_the_shape():
    cfg = Config.fromfile(_path('logit-adjusted-200e'))
    assert cfg.train_cfg.max_epochs == 200
    warmup, cosine = cfg.param_scheduler
    assert (warmup.begin, warmup.end) == (0, 5)
    assert cosine.begin == 5 and 'end' not in cosine
    assert cfg.train_cfg.dynamic_intervals == [(160, 1)]


@needs_fashion_mnist
@pytest.mark.parametrize('name', ['logit-adjusted-randaugment',
                                  'logit-adjusted-autoaugment',
                                  'balanced-softmax-mixup',
                                  'logit-adjusted-ema'])
def test_trains_two_iterations_on_real_data(name, tmp_path):
    cfg = Config.fromfile(_path(name))
    # a small long-tailed draw of the real data: 8 ... 2 images a class
    for loader in ('train_dataloader', 'val_dataloader'):
        ds = cfg[loader].dataset
        ds.max_count, ds.imbalance_ratio = 8, 4
        ds.dataset.data_root = osp.join(ROOT, ds.dataset.data_root)
        cfg[loader].num_workers = 0
        cfg[loader].pop('persistent_workers', None)
    cfg.val_dataloader.dataset.held_out_per_class = 2
    cfg.train_dataloader.batch_size = 32
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = 2
    # a one-epoch warm-up, so that the cosine has an epoch of the two
    cfg.param_scheduler[0].end = cfg.param_scheduler[1].begin = 1
    cfg.default_hooks.long_tail_context.plot = False
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2,
                                        save_last=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    counts = runner.model.head.class_counts.tolist()
    assert counts[0] == 8 and counts[-1] == 2
    balanced = runner.message_hub.get_scalar(
        'val/long_tail/balanced_accuracy').current()
    assert 0 <= balanced <= 100
