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

The ``finetune-recipes`` section (the fine-tuning protocol) runs V1 to V4
the same way on the same data with the protocol's pretrained network
instead (:func:`finetune_network`): EfficientNet-Lite0 from ImageNet-1k
weights (``configs/_base_/models/efficientnet_lite0_tf_lt.py``'s backbone,
its 1280-channel feature map), weights channels-last, at the recipes' own
image size (their 80x60; the grey 28x28 PNGs read as the recipes read
images, three equal channels with ImageNet's mean and std) and with their
own learning rates, which are fine-tuning rates. V4's deep supervision
reads Lite0's stages of strides 4, 8 and 16 (24, 40 and 112 channels) and
its main classifier the final 1280-channel map after the 1x1 head
convolution, as V1 to V3 (mmlt's ``TIMMStages``: timm's
``forward_intermediates``), with all four loss weights of the recipe.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from benchmarks.common import ROOT
from benchmarks.lt_rows import ConfigSpec

DATA_ROOT = 'data/group_lift_degraded'
NUM_CLASSES = 10
SIDE = 28  # the data's images (width = height)
PROTOCOL_BACKBONE = ('configs/baselines/'
                     'resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py')
STAGE_CHANNELS = (16, 32, 64)  # ResNet-20's three stages
FROM_SCRATCH_LR = 1e-3
# the fine-tuning protocol's network: its baseline's backbone (the model
# base's), head input and channels-last hook
FINETUNE_BASELINE = ('configs/baselines/'
                     'efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-'
                     '80x60.py')
# Lite0's stages of strides 4, 8, 16 (timm's feature_info indices 1-3;
# index 0 is the stride-2 stem stage) and its final map (1280 channels,
# after the head convolution), as ConvNeXt's four stages in V4
LITE0_STAGES = dict(type='TIMMStages', out_indices=(1, 2, 3))
LITE0_STAGE_CHANNELS = (24, 40, 112, 1280)
# the fine-tuning section runs the versions, not V2.1's folds or the plans
FINETUNE_RECIPES = ('v1', 'v2', 'v3', 'v4')
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
FINETUNE_RECIPES_DATA = (
    'the recipe files of V1 to V4 in configs/recipes/ as written (sampler, '
    'loss, augmentation, batch augments, SWA/EMA, deep supervision, '
    'schedule, image size 80x60, learning rate) on the degraded group-lift '
    'data of the recipes section (its 28x28 grey PNGs resized to 80x60 and '
    'read in three equal channels, as the recipes read images; ImageNet '
    'mean/std), with the `--cfg-options` of benchmarks/lt_recipes.py that '
    'swap the ImageNet-initialised EfficientNet/ConvNeXt, which cannot be '
    'fetched here, for the fine-tuning protocol\'s EfficientNet-Lite0 from '
    'ImageNet-1k weights (head on its 1280 channels, weights channels-last; '
    'V4\'s deep supervision on its stages of strides 4, 8 and 16, 24, 40 '
    'and 112 channels, the main classifier on the final 1280-channel map, '
    'mmlt\'s TIMMStages)')


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


def _opts(key: str, value) -> List[str]:
    """``--cfg-options`` items setting ``key`` to ``value``, a dict as one
    item per (nested) key: ``--cfg-options`` parses no dict."""
    if isinstance(value, dict):
        return [o for k, v in value.items() for o in _opts(f'{key}.{k}', v)]
    return [_opt(key, value)]


@dataclass(frozen=True)
class Network:
    """The network a section's rows train in place of the recipes' own.

    ``backbone`` returns its last feature map (``channels`` channels),
    pooled by a ``GlobalAveragePooling`` neck; updated with ``stages``, it
    returns its stages (``stage_channels``, the last read by the main
    classifier) for deep supervision. ``side``: every ``Resize`` scaled to
    ``side`` x ``side`` images (None: the recipes' own size). ``min_lr``: a
    recipe's lr below it raised to it (None: the recipes' own). ``hooks``:
    ``default_hooks`` added. ``notes``, ``lr_note`` and ``ds_note``: the
    rows' words for the overrides (lr_note when the lr is raised, ds_note
    for a deep-supervised row)."""
    backbone: dict
    channels: int
    stages: dict
    stage_channels: Tuple[int, ...]
    notes: Tuple[str, ...]
    side: Optional[int] = None
    min_lr: Optional[float] = None
    lr_note: str = ''
    hooks: Dict[str, dict] = field(default_factory=dict)
    ds_note: str = ''


def protocol_backbone() -> dict:
    """The protocol's ResNet-20 for the recipes' 3-channel images."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, PROTOCOL_BACKBONE))
    return dict(cfg.model.backbone, in_channels=3)


def scratch_network() -> Network:
    """The ``recipes`` section's network: the protocol's ResNet-20 from
    scratch at 28x28, the lr raised to 1e-3 (module docstring)."""
    return Network(
        backbone=protocol_backbone(), channels=STAGE_CHANNELS[-1],
        stages=dict(out_indices=tuple(range(len(STAGE_CHANNELS)))),
        stage_channels=STAGE_CHANNELS, notes=('ResNet-20', f'{SIDE}x{SIDE}'),
        side=SIDE, min_lr=FROM_SCRATCH_LR, lr_note='lr 1e-3')


def finetune_network() -> Network:
    """The ``finetune-recipes`` section's network: the fine-tuning
    protocol's EfficientNet-Lite0 from ImageNet-1k weights (its baseline's
    backbone and channels-last hook), at the recipes' own image size and
    learning rates (module docstring)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, FINETUNE_BASELINE))
    return Network(
        backbone=cfg.model.backbone.to_dict(),
        channels=cfg.model.head.in_channels,
        stages=LITE0_STAGES, stage_channels=LITE0_STAGE_CHANNELS,
        notes=('EfficientNet-Lite0 from ImageNet-1k weights',
               'channels-last'),
        hooks=dict(channels_last=cfg.default_hooks.channels_last.to_dict()),
        ds_note='deep supervision on 3 stages (24, 40, 112 channels), the '
        'main head on the final 1280-channel map (TIMMStages)')


def recipe_overrides(cfg, config: str, network: Network) -> List[str]:
    """``--cfg-options`` that run the recipe ``cfg`` (loaded from
    ``config``) on the benchmark's data with ``network``
    (:func:`scratch_network`, :func:`finetune_network`; module docstring).

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
            if network.side is not None:
                opts.append(_opt(f'{path}.scale',
                                 (round(network.side * w / base_w),
                                  round(network.side * h / base_h))))
    if not found:
        raise ValueError(f'{config}: no Resize in its pipelines; the '
                         'benchmark\'s 28x28 images need the recipes\' '
                         'resize to img_scale')

    backbone = dict(network.backbone)
    head = cfg.model.head
    if head.type == 'DeepSupervisionHead':
        stages = network.stage_channels
        n_aux = len(stages) - 1
        backbone.update(network.stages)
        main, channels = 'model.head.head', stages[-1]
        opts += [
            _opt('model.head.aux_stages', tuple(range(n_aux))),
            _opt('model.head.aux_in_channels', stages[:-1]),
            _opt('model.head.loss_weights',
                 tuple(head.loss_weights[:1 + n_aux])),
        ]
    elif 'in_channels' in head:
        main, channels = 'model.head', network.channels
    else:
        raise ValueError(f'{config}: head {head.type} has no in_channels to '
                         'set for the benchmark\'s backbone')
    opts += [_opt(f'{main}.in_channels', channels),
             _opt(f'{main}.num_classes', NUM_CLASSES)]
    opts.append('model.backbone._delete_=True')
    for k, v in backbone.items():
        opts += _opts(f'model.backbone.{k}', v)
    neck = cfg.model.get('neck')
    if not neck or neck.get('type') != 'GlobalAveragePooling':
        if neck:
            opts.append('model.neck._delete_=True')
        opts.append('model.neck.type=GlobalAveragePooling')

    if network.min_lr is not None and \
            cfg.optim_wrapper.optimizer.lr < network.min_lr:
        opts.append(_opt('optim_wrapper.optimizer.lr', network.min_lr))
    for name, hook in network.hooks.items():
        opts += _opts(f'default_hooks.{name}', hook)
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


def _rows(network: Network, names: Sequence[str]) -> Tuple[
        List[ConfigSpec], Dict[str, object], Dict[str, List[str]]]:
    """The rows of the recipes ``names`` (in :data:`RECIPES`' order) with
    ``network``'s overrides, tested with their test-time augmentation
    (``--tta``) when they have a ``tta_pipeline`` (V2.1); and each row's
    loaded recipe and words for its overrides."""
    from mmengine.config import Config
    rows, recipes, what = [], {}, {}
    for name, stem in RECIPES:
        if name not in names:
            continue
        path = recipe_path(stem)
        recipe = recipes[name] = Config.fromfile(osp.join(ROOT, path))
        cfg = recipe_overrides(recipe, path, network)
        what[name] = ['data', *network.notes] + (
            [network.lr_note] if network.min_lr is not None and
            recipe.optim_wrapper.optimizer.lr < network.min_lr else []) + (
            [network.ds_note] if network.ds_note and
            recipe.model.head.type == 'DeepSupervisionHead' else [])
        rows.append(ConfigSpec(
            name, path, prepare=PREPARE, cfg=cfg,
            cfg_note=_options_note(cfg, what[name]),
            test_args=['--tta'] if 'tta_pipeline' in recipe else []))
    return rows, recipes, what


def recipe_rows() -> List[ConfigSpec]:
    """The ``recipes`` section's rows: each recipe on the protocol's
    ResNet-20 (:func:`scratch_network`), then the :data:`ABLATIONS`."""
    rows, recipes, what = _rows(scratch_network(),
                                [name for name, _ in RECIPES])
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


def finetune_recipe_rows() -> List[ConfigSpec]:
    """The ``finetune-recipes`` section's rows: V1 to V4 on the fine-tuning
    protocol's pretrained EfficientNet-Lite0 (:func:`finetune_network`)."""
    return _rows(finetune_network(), FINETUNE_RECIPES)[0]
