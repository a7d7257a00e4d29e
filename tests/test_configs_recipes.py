"""Every recipe of configs/recipes/ trains one iteration on a generated CSV
data set of real images, set up the way the recipes' README tells a user
to: the two lines of the recipes' data base (data_root, num_classes)
changed, nothing else in the configs.

The data: scikit-learn's digit scans (8x8, grey levels 0-16) of five
digits, scaled to 80x60 PNGs (the recipes' image size), long-tailed
(4, 2, 1, 1, 1 training images) with a group_id column, validation and
test splits from their own CSVs. The training batch is the whole training
set, so an epoch is one iteration; a test hook stops after epoch 0 (and its
validation), so that every schedule keeps the recipe's length (warm-up,
SWA start, OneCycle, dynamic sampling are all built as configured). The
models are built without their pretrained weights (init_cfg=None: the
checkpoints are not here), and without writing checkpoints (ConvNeXt-Base's
would be about 1 GB with its optimizer state). V2's SWA also runs under
tools/dist_train.sh with 2 processes (gloo), with ConvNeXt-atto.
"""
import csv
import glob
import math
import os
import os.path as osp
import re
import shutil
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.apis import merge_test_args

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RECIPES = sorted(glob.glob(osp.join(ROOT, 'configs', 'recipes', '*.py')))
DATA_BASE = osp.join('configs', '_base_', 'datasets', 'own_csv_60x80_bs32.py')
NAMES = ['zero', 'one', 'two', 'three', 'four']
TRAIN = [4, 2, 1, 1, 1]  # long-tailed; one iteration = the whole set

pytestmark = pytest.mark.usefixtures('one_thread')


def _write_split(root, split, counts, unused, images, group):
    """Rows ``(filename, class name, group_id)``; ``group(c, k)`` is the
    group of the k-th image of class c."""
    rows = []
    for c, n in enumerate(counts):
        for k in range(n):
            i = next(unused[c])
            name = f'{split}_{i}.png'
            # width 80, height 60: the size the recipes were made for
            cv2.imwrite(osp.join(root, 'images', name),
                        cv2.resize(images[i], (80, 60)))
            rows.append((name, NAMES[c], group(c, k)))
    with open(osp.join(root, f'{split}.csv'), 'w', newline='') as f:
        csv.writer(f).writerows([('filename', 'label', 'group_id')] + rows)
    return rows


@pytest.fixture(scope='module')
def own_data(tmp_path_factory):
    """classes.txt, train/val/test CSVs (filename, label, group_id) and the
    PNGs they name."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = np.round(digits.images * (255. / 16.)).astype(np.uint8)
    root = str(tmp_path_factory.mktemp('own_recipes'))
    os.makedirs(osp.join(root, 'images'))
    unused = {c: iter(np.flatnonzero(digits.target == c))
              for c in range(len(NAMES))}
    train = _write_split(root, 'train', TRAIN, unused, images,
                         lambda c, k: k % 2)
    # one image per class: groups 0 and 1 alternate over the classes
    for split in ('val', 'test'):
        _write_split(root, split, [1] * len(NAMES), unused, images,
                     lambda c, k: c % 2)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write(''.join(f'{n}\n' for n in NAMES))
    return root, train


@pytest.fixture(scope='module')
def user_configs(own_data, tmp_path_factory):
    """A copy of configs/ with the recipes' data base edited as a user
    would: data_root and num_classes, nothing else."""
    root, _ = own_data
    copy = str(tmp_path_factory.mktemp('user') / 'configs')
    shutil.copytree(osp.join(ROOT, 'configs'), copy)
    path = osp.join(osp.dirname(copy), DATA_BASE)
    with open(path) as f:
        text = f.read()
    text, n_root = re.subn(r"^data_root = '[^']*'", f'data_root = {root!r}',
                           text, flags=re.M)
    text, n_classes = re.subn(r'^num_classes = \d+',
                              f'num_classes = {len(NAMES)}', text,
                              flags=re.M)
    # the README's two lines are there, once each
    assert (n_root, n_classes) == (1, 1), (n_root, n_classes)
    with open(path, 'w') as f:
        f.write(text)
    return copy


class StopAfterFirstEpoch(Hook):
    """Ends training after epoch 0 and its validation (the loop checks
    stop_training after validating)."""

    def after_train_epoch(self, runner) -> None:
        runner.train_loop.stop_training = True


def _no_pretrained(model_cfg) -> None:
    assert model_cfg.backbone.init_cfg.type == 'Pretrained'
    assert model_cfg.backbone.init_cfg.checkpoint.startswith('checkpoints/')
    model_cfg.backbone.init_cfg = None


def _recipe_cfg(user_configs, name, work_dir):
    cfg = Config.fromfile(osp.join(user_configs, 'recipes', name))
    _no_pretrained(cfg.model)
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.train_dataloader.batch_size = sum(TRAIN)  # one iteration per epoch
    cfg.val_dataloader.batch_size = cfg.test_dataloader.batch_size = 8
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1,
                                        save_last=False)
    cfg.default_hooks.long_tail_context.plot = False
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'recipe_{osp.basename(str(work_dir))}'
    return cfg


def _hook_types(runner):
    return {type(h).__name__ for h in runner.hooks}


# What each recipe must have built, beyond what every recipe has: hooks,
# the sampler's strategy, the loss, logged loss keys.
EXPECTED = {
    'v1': dict(strategy='class_balanced', loss='CrossEntropyLoss',
               scheduler='ReduceOnPlateauLR'),
    'v2': dict(hooks={'SWAHook'}, loss='LabelSmoothLoss',
               scheduler='CosineAnnealingLR', mix=True),
    'v2-1': dict(hooks={'SWAHook', 'EarlyStoppingHook'},
                 loss='LabelSmoothLoss', scheduler='CosineAnnealingLR',
                 mix=True),
    'v3': dict(strategy='dynamic', loss='ClassBalancedLoss',
               scheduler='OneCycleLR', val_log={'long_tail/f1/zero'},
               test=True),
    'v4': dict(strategy='class_balanced', hooks={'EMAHook'},
               loss='CrossEntropyLoss', scheduler='CosineAnnealingLR',
               mix=True,
               log={'loss_aux_stage0', 'loss_aux_stage1',
                    'loss_aux_stage2'}),
    # the group plans are deltas on V1
    'plan-a': dict(strategy='class_balanced', loss='CrossEntropyLoss',
                   scheduler='ReduceOnPlateauLR', group_weight={1: 2.0}),
    'plan-b': dict(strategy='class_balanced', loss='CrossEntropyLoss',
                   scheduler='ReduceOnPlateauLR',
                   hooks={'GroupWeightCurriculumHook'}),
    'plan-c': dict(strategy='class_balanced', loss='SoftmaxFocalLoss',
                   scheduler='ReduceOnPlateauLR', apply_by_group=True),
}


def _key(name):
    return re.match(r'(v\d(?:-1)?|plan-[abc])-', name).group(1)


def test_every_recipe_is_expected():
    names = [osp.basename(p) for p in RECIPES]
    assert sorted(_key(n) for n in names) == sorted(EXPECTED)


@pytest.mark.parametrize('path', RECIPES, ids=osp.basename)
def test_recipe_trains_one_iteration(path, own_data, user_configs,
                                     tmp_path):
    name = osp.basename(path)
    expected = EXPECTED[_key(name)]
    _, train = own_data
    cfg = _recipe_cfg(user_configs, name, tmp_path)
    swa = cfg.default_hooks.get('swa')
    if swa is not None:
        # the recipe averages from epoch 20: average after epoch 0 here, so
        # that the one epoch trained exercises the averaging and the swap
        assert swa.swa_start == 20
        swa.swa_start = 0
    runner = Runner.from_cfg(cfg)
    runner.register_hook(StopAfterFirstEpoch(), priority='LOWEST')
    runner.train()

    # one optimizer step (every recipe uses AdamW)
    assert runner.iter == 1 and runner.epoch == 1
    steps = {int(s['step']) for s in runner.optim_wrapper.optimizer.state
             .values()}
    assert steps == {1}
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    print(f'{name}: loss {loss:.4f}')
    # validated once, on the top-1 key the plateau lr and early stopping
    # monitor
    top1 = runner.message_hub.get_scalar('val/long_tail/top1').current()
    assert 0 <= top1 <= 100
    # the class counts of the training CSV reached the head
    hand = [sum(1 for r in train if r[1] == n) for n in NAMES]
    head = runner.model.head
    main = getattr(head, 'head', head)  # DeepSupervisionHead wraps one
    assert main.class_counts.tolist() == hand == TRAIN
    assert type(main.loss_module).__name__ == expected['loss']
    assert expected.get('hooks', set()) <= _hook_types(runner)
    for hook in runner.hooks:
        if type(hook).__name__ == 'EMAHook':
            # the annealed momentum: after one update the average is the
            # weights moved by max(1e-4, 100 / 101), not by 1e-4 only
            ema = hook.ema_model
            assert type(ema).__name__ == 'MomentumAnnealingEMA'
            assert ema.momentum == 1e-4 and ema.gamma == 100
    schedulers = [type(s).__name__ for s in runner.param_schedulers]
    assert expected['scheduler'] in schedulers
    sampler = runner.train_dataloader.sampler
    if 'strategy' in expected:
        assert type(sampler).__name__ == 'RebalancedSampler'
        assert sampler.strategy == expected['strategy']
        assert sampler.num_epochs == cfg.train_cfg.max_epochs
    else:
        assert type(sampler).__name__ == 'DefaultSampler'
    if 'group_weight' in expected:
        assert sampler.group_weight == expected['group_weight']
        assert main.group_weight == expected['group_weight']
    # Mixup / CutMix on: the data preprocessor mixes the batch
    augments = runner.model.data_preprocessor.batch_augments
    assert (augments is not None) == expected.get('mix', False)
    for key in expected.get('log', ()):
        assert math.isfinite(
            runner.message_hub.get_scalar(f'train/{key}').current())
    for key in expected.get('val_log', ()):
        assert math.isfinite(
            runner.message_hub.get_scalar(f'val/{key}').current())
    if expected.get('test'):
        # the full metric set at test: per-class lists, files, the
        # confusion matrix
        metrics = runner.test()
        assert len(metrics['long_tail/per_class_f1']) == len(NAMES)
        assert {'long_tail/macro_f1', 'long_tail/weighted_f1'} <= set(metrics)
        written = {osp.basename(p) for p in glob.glob(
            osp.join(str(tmp_path), '**', '*'), recursive=True)}
        assert {'confusion_matrix.png', 'per_class.csv'} <= written, written
    if expected.get('apply_by_group'):
        pipeline = runner.train_dataloader.dataset.pipeline.transforms
        assert 'ApplyByGroup' in [type(t).__name__ for t in pipeline]
    if swa is not None:
        swa_hook = next(h for h in runner.hooks
                        if type(h).__name__ == 'SWAHook')
        assert int(swa_hook.swa_model.steps) == 1


def test_v1_rotation_is_uniform_within_10_degrees(user_configs):
    """V1's Rotate draws angles uniformly from [-10, 10] (MMPretrain's
    Rotate with magnitude_std='inf' and random negation), not +-10 only."""
    from mmpretrain.registry import TRANSFORMS
    cfg = Config.fromfile(
        osp.join(user_configs, 'recipes',
                 'v1-cb-resample-plateau_efficientnet-b0_1xb32_own-csv.py'))
    rotate_cfg = next(t for t in cfg.train_pipeline if t.type == 'Rotate')
    rotate = TRANSFORMS.build(dict(rotate_cfg))
    np.random.seed(0)
    angles = []
    for _ in range(400):
        angles.append(rotate.random_negative(rotate.random_magnitude()))
    angles = np.array(angles)
    assert np.all(np.abs(angles) <= 10)
    assert (angles < -5).any() and (angles > 5).any()
    assert (np.abs(angles) < 5).mean() == pytest.approx(0.5, abs=0.1)


def test_v2_1_tta_tests_the_six_views(own_data, user_configs, tmp_path):
    """V2.1's --tta on the CSV test split: tools/test.py's option wraps the
    model in AverageClsScoreTTA over the 6 views (0.9x, 1x, 1.1x of 80x60,
    each as is and mirrored). ConvNeXt-atto instead of -Base (the same
    downsampling, so the 54-pixel side of the 0.9x view is exercised alike;
    a checkpoint of a few MB instead of 350)."""
    name = 'v2-1-kfold-swa-earlystop-tta_convnext-base_1xb32_own-csv.py'
    cfg = _recipe_cfg(user_configs, name, tmp_path)
    cfg.model.backbone.arch = 'atto'
    cfg.model.head.in_channels = 320
    from mmlt.registry import MODELS
    model = MODELS.build(cfg.model)
    checkpoint = str(tmp_path / 'atto.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    args = SimpleNamespace(
        config=name, checkpoint=checkpoint, work_dir=str(tmp_path),
        cfg_options=None, launcher='none', local_rank=0, no_pin_memory=True,
        amp=False, tta=True)
    cfg = merge_test_args(cfg, args)
    runner = Runner.from_cfg(cfg)
    seen = []
    original = runner.model.test_step

    def test_step(data):
        # data['inputs'][view][sample]: a (C, H, W) image
        seen.append([tuple(view[0].shape) for view in data['inputs']])
        return original(data)

    runner.model.test_step = test_step
    metrics = runner.test()
    assert 0 <= metrics['long_tail/top1'] <= 100
    # 6 views of each image: (C, H, W) at 54, 60 and 66 pixels high
    assert sorted(set(seen[0])) == [(3, 54, 72), (3, 60, 80), (3, 66, 88)]
    assert len(seen[0]) == 6


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the CPU (gloo) path')
def test_v2_swa_recipe_under_two_processes(user_configs, tmp_path):
    """V2 (SWA, Mixup/CutMix, label smoothing, warm-up + cosine) with
    tools/dist_train.sh on 2 processes (gloo): 3 epochs, SWA from epoch 1,
    the checkpoint holds the average. ConvNeXt-atto instead of -Base (the
    same code path; two -Base processes would not fit the test's time)."""
    import socket
    import subprocess
    import sys
    name = 'v2-swa-mixup-cutmix-ls_convnext-base_1xb32_own-csv.py'
    work_dir = str(tmp_path / 'work')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port),
               OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([ROOT, env.get('PYTHONPATH', '')])
    options = [
        'model.backbone.arch=atto', 'model.backbone.init_cfg=None',
        'model.head.in_channels=320', 'train_cfg.max_epochs=3',
        'default_hooks.swa.swa_start=1', 'default_hooks.swa.interval=1',
        'default_hooks.long_tail_context.plot=False',
        'default_hooks.checkpoint.max_keep_ckpts=1',
        f'train_dataloader.batch_size={sum(TRAIN)}'
    ] + [
        f'{split}_dataloader.{key}'
        for split in ('train', 'val', 'test')
        for key in ('num_workers=0', 'persistent_workers=False')
    ]
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh',
         osp.join(user_configs, 'recipes', name), '2', '--work-dir',
         work_dir, '--cfg-options'] + options,
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'Distributed training: True' in log
    assert 'SWAHook: epoch 2 averaged (2 checkpoints)' in log
    ckpt = torch.load(osp.join(work_dir, 'epoch_3.pth'), weights_only=False)
    assert int(ckpt['swa_state_dict']['steps']) == 2
    # the checkpoint's model is the average of epochs 1 and 2; the last
    # trained weights are kept beside it (swa_state_dict) for --resume
    key = 'head.fc.weight'
    assert not torch.allclose(ckpt['state_dict'][key],
                              ckpt['swa_state_dict']['module.' + key])


def test_v3_adaptive_fold_count(user_configs, tmp_path):
    """V3's k-fold command (tools/kfold_train.py --num-splits auto
    --max-splits 5) on the generated CSVs: the smallest class has one image,
    so 'auto' picks the minimum of 2 folds, and the classes with fewer
    images than folds are trained on, not validated. 2 epochs per fold."""
    from mmlt.apis import kfold_train
    name = 'v3-cb-focal-dynamic-onecycle_efficientnetv2-b2_1xb32_own-csv.py'
    cfg = _recipe_cfg(user_configs, name, tmp_path)
    cfg.train_cfg.max_epochs = 2
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=2, save_optimizer=False)
    summary = kfold_train(cfg, num_splits='auto', max_splits=5)
    assert summary.num_splits == 2 and summary.trained_folds == [0, 1]
    # TRAIN = [4, 2, 1, 1, 1]: 'two', 'three' and 'four' have 1 image < 2
    assert summary.not_validated_classes == ['two', 'three', 'four']
    for metrics in summary.fold_metrics:
        assert metrics['long_tail/num_not_validated'] == 3
    assert osp.isfile(summary.files['ensemble_config'])
