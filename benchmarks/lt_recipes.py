"""The recipes of ``configs/recipes/`` under the benchmark protocol: the
``recipes`` section of docs/benchmarks.md (V1 -> V4 and the group plans
A/B/C of the 44-class reference project).

The recipes are written for the user's own 60x80 images and start from
ImageNet weights (EfficientNet-B0, EfficientNetV2-B2, ConvNeXt-Base), which
cannot be downloaded here and do not train within the CPU budget. Each row
therefore runs the recipe file itself, with its sampler, loss, augmentation,
batch augments, SWA/EMA, deep supervision, schedule, early stopping and
test-time augmentation, and changes, through ``--cfg-options`` computed from
that file (:func:`recipe_overrides`), only what cannot run here:

- data: the group-lift benchmark's degraded case (own-CSV layout, 10
  classes, group 1 = 30% of each class with low contrast, blur and noise,
  the test images twice, as group 0 and as group 1), so the group plans
  have a weak group to lift;
- backbone: the protocol's ResNet-20 from scratch instead of the ImageNet-
  initialised one, at the images' own 28x28 (every ``Resize`` of the
  pipelines, TTA's included, scaled by 28/80 x 28/60; the grey PNGs are
  read as the recipes read images, 3 channels with ImageNet's mean and
  std); deep supervision on ResNet-20's three stages (auxiliary weights of
  the first two kept);
- learning rate: a recipe's lr below 1e-3 (V2, V2.1 and V4: 1e-4, a
  fine-tuning rate for a pretrained ConvNeXt) raised to V1's and V3's 1e-3,
  since the backbone trains from scratch.
"""
import os.path as osp
from typing import Iterator, List, Sequence, Tuple

from benchmarks.common import ROOT
from benchmarks.lt_rows import ConfigSpec

DATA_ROOT = 'data/group_lift_degraded'
NUM_CLASSES = 10
SIDE = 28  # the data's images (width = height)
PROTOCOL_BACKBONE = ('configs/baselines/'
                     'resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py')
STAGE_CHANNELS = (16, 32, 64)  # ResNet-20's three stages
FROM_SCRATCH_LR = 1e-3
PREPARE = ('{python} tools/dataset/make_group_lift_data.py --case degraded '
           f'--out-dir {DATA_ROOT} --seed 0')

# (row, recipe file stem without the data suffix) in the project's order
RECIPES: Tuple[Tuple[str, str], ...] = (
    ('v1', 'v1-cb-resample-plateau_efficientnet-b0'),
    ('v2', 'v2-swa-mixup-cutmix-ls_convnext-base'),
    ('v2.1', 'v2-1-kfold-swa-earlystop-tta_convnext-base'),
    ('v3', 'v3-cb-focal-dynamic-onecycle_efficientnetv2-b2'),
    ('v4', 'v4-ds-mixup-cutmix-ema_convnext-base'),
    ('plan-a', 'plan-a-group1x2-groupsampler_efficientnet-b0'),
    ('plan-b', 'plan-b-group1-curriculum_efficientnet-b0'),
    ('plan-c', 'plan-c-focal-group1-strongaug_efficientnet-b0'),
)
# (row, the recipe row it changes, the recipe row whose training sampler it
# takes): one change at a time, to measure why a version gains or loses.
# V2 drops V1's class-balanced re-sampling (and V4 brings over-sampling
# back): V2 with V1's sampler tells whether that is where V2 loses V1's
# few-shot classes. V3 re-balances twice (the dynamic sampler and the
# class-balanced focal loss's weights): V3 with V2's plain sampler keeps
# the loss's re-weighting alone.
ABLATIONS: Tuple[Tuple[str, str, str], ...] = (
    ('v2-cb-resample', 'v2', 'v1'),
    ('v3-plain-sampler', 'v3', 'v2'),
)

# the section's data line in docs/benchmarks.md
RECIPES_DATA = (
    'each recipe file of configs/recipes/ as written (sampler, loss, '
    'augmentation, batch augments, SWA/EMA, deep supervision, schedule, '
    'early stopping, TTA) on the degraded group-lift data ('
    '`tools/dataset/make_group_lift_data.py --case degraded --seed 0`: the '
    'protocol\'s long-tailed Fashion-MNIST subset, 2,478 images, 30% of each '
    'class in group 1 with contrast 0.4, blur sigma 1, noise std 20 of 255; '
    'validated on the 1,000 held-out and tested on the 10,000 test images, '
    'each as group 0 and as group 1), with what cannot run here replaced '
    'by `--cfg-options` computed from the file (benchmarks/lt_recipes.py): '
    'the ImageNet-initialised EfficientNet/ConvNeXt by the protocol\'s '
    'ResNet-20 from scratch at the images\' 28x28 (each Resize scaled by '
    '28/80 x 28/60; deep supervision on its three stages), and the '
    'fine-tuning lr 1e-4 of V2, V2.1 and V4 by V1\'s and V3\'s 1e-3. '
    'V2.1\'s 3-fold cross-validation is a command, not measured here: one '
    'training on the training split, tested with its TTA')


def recipe_path(stem: str) -> str:
    return f'configs/recipes/{stem}_1xb32_own-csv.py'


def _resizes(node, path: List[str]) -> Iterator[Tuple[str, Sequence[int]]]:
    """(dotted path, scale) of every ``Resize`` under ``node`` (list items
    by index, as ``--cfg-options`` addresses them)."""
    if isinstance(node, dict):
        if node.get('type') == 'Resize' and 'scale' in node:
            yield '.'.join(path), node['scale']
        for key, value in node.items():
            yield from _resizes(value, path + [str(key)])
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _resizes(value, path + [str(i)])


def _opt(key: str, value) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return f'{key}={text.replace(" ", "")}'


def protocol_backbone() -> dict:
    """The protocol's ResNet-20 for the recipes' 3-channel images."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, PROTOCOL_BACKBONE))
    return dict(cfg.model.backbone, in_channels=3)


def recipe_overrides(cfg, config: str, backbone: dict) -> List[str]:
    """``--cfg-options`` that run the recipe ``cfg`` (loaded from
    ``config``) on the benchmark's data with ``backbone``
    (:func:`protocol_backbone`; module docstring).

    Raises:
        ValueError: For a recipe whose images are not resized to the data
            base's ``img_scale`` or whose head this does not know.
    """
    opts = [f'{split}_dataloader.dataset.data_root={DATA_ROOT}'
            for split in ('train', 'val', 'test')]
    opts.append(f'data_preprocessor.num_classes={NUM_CLASSES}')

    base_w, base_h = cfg.img_scale
    found = False
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'tta_pipeline'):
        for path, (w, h) in _resizes(cfg.get(key), [key]):
            found = True
            opts.append(_opt(f'{path}.scale',
                             (round(SIDE * w / base_w),
                              round(SIDE * h / base_h))))
    if not found:
        raise ValueError(f'{config}: no Resize in its pipelines; the '
                         'benchmark maps the recipes\' img_scale to 28x28')

    backbone = dict(backbone)
    head = cfg.model.head
    if head.type == 'DeepSupervisionHead':
        n_aux = len(STAGE_CHANNELS) - 1
        backbone['out_indices'] = tuple(range(len(STAGE_CHANNELS)))
        main = 'model.head.head'
        opts += [
            _opt('model.head.aux_stages', tuple(range(n_aux))),
            _opt('model.head.aux_in_channels', STAGE_CHANNELS[:-1]),
            _opt('model.head.loss_weights',
                 tuple(head.loss_weights[:1 + n_aux])),
        ]
    elif 'in_channels' in head:
        main = 'model.head'
    else:
        raise ValueError(f'{config}: head {head.type} has no in_channels to '
                         'set for the protocol backbone')
    opts += [_opt(f'{main}.in_channels', STAGE_CHANNELS[-1]),
             _opt(f'{main}.num_classes', NUM_CLASSES)]
    opts.append('model.backbone._delete_=True')
    opts += [_opt(f'model.backbone.{k}', v) for k, v in backbone.items()]
    neck = cfg.model.get('neck')
    if not neck or neck.get('type') != 'GlobalAveragePooling':
        if neck:
            opts.append('model.neck._delete_=True')
        opts.append('model.neck.type=GlobalAveragePooling')

    if cfg.optim_wrapper.optimizer.lr < FROM_SCRATCH_LR:
        opts.append(_opt('optim_wrapper.optimizer.lr', FROM_SCRATCH_LR))
    return opts


def _options_note(cfg: Sequence[str], what: Sequence[str]) -> str:
    return (f'with the {len(cfg)} `--cfg-options` of '
            f'`benchmarks/lt_recipes.py` ({", ".join(what)})')


def sampler_overrides(recipe) -> List[str]:
    """``--cfg-options`` that give a recipe the training sampler of
    ``recipe`` (a loaded config), replacing the one it has."""
    sampler = recipe.train_dataloader.sampler
    return ['train_dataloader.sampler._delete_=True'] + [
        _opt(f'train_dataloader.sampler.{k}', v)
        for k, v in sampler.items() if k != '_delete_'
    ]


def recipe_rows() -> List[ConfigSpec]:
    """The section's rows: each recipe with its overrides, tested with its
    test-time augmentation (``--tta``) when it has a ``tta_pipeline``
    (V2.1), then the :data:`ABLATIONS`."""
    from mmengine.config import Config
    backbone = protocol_backbone()
    rows, recipes, what = [], {}, {}
    for name, stem in RECIPES:
        path = recipe_path(stem)
        recipe = recipes[name] = Config.fromfile(osp.join(ROOT, path))
        cfg = recipe_overrides(recipe, path, backbone)
        what[name] = ['data', 'ResNet-20', '28x28'] + (
            ['lr 1e-3']
            if recipe.optim_wrapper.optimizer.lr < FROM_SCRATCH_LR else [])
        rows.append(ConfigSpec(
            name, path, prepare=PREPARE, cfg=cfg,
            cfg_note=_options_note(cfg, what[name]),
            test_args=['--tta'] if 'tta_pipeline' in recipe else []))
    by_name = {row.name: row for row in rows}
    for name, changed, sampler_of in ABLATIONS:
        base = by_name[changed]
        cfg = base.cfg + sampler_overrides(recipes[sampler_of])
        sampler = recipes[sampler_of].train_dataloader.sampler
        rows.append(ConfigSpec(
            name, base.path, prepare=PREPARE, cfg=cfg,
            cfg_note=_options_note(cfg, what[changed] + [
                f"{sampler_of.upper()}'s training sampler ("
                + ', '.join([sampler.type] + ([sampler.strategy]
                                              if 'strategy' in sampler
                                              else [])) + ')']),
            test_args=list(base.test_args)))
    return rows
