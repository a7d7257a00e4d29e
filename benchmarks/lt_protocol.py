"""Protocols and section plans of ``benchmarks/lt_benchmark.py``.

A *protocol* fixes how every row of a section is trained:

- ``converged`` (the default, docs/benchmarks.md's evidence): each config's
  own schedule (the protocol configs train ResNet-20 on Fashion-MNIST-LT
  with n_max 1,000 for 60 epochs, see
  ``configs/_base_/schedules/lt_protocol_sgd_cosine_60e.py``), validation on
  the held-out split as the config sets it, one checkpoint at the end.
  Rows are kept under ``<work-dir>/converged/<row>/seed<N>``, so a row (the
  cross-entropy baseline) shared by several sections is trained once and a
  two-stage row finds its stage 1 whichever section ran it.
- ``smoke``: the old short setting, a fixed ``--epochs`` (default 4) for
  every row, validation and checkpoint only at the end; for checking that
  the harness and the configs run, not for choosing a method.

A *section plan* lists the rows of one section of docs/benchmarks.md under
the converged protocol, two-stage and test-only rows chained to the
cross-entropy row, so ``--section NAME`` alone reproduces it. The planned
sections and their titles are those of the page's registry
(:data:`benchmarks.page.SECTIONS`, the entries with a ``title``);
:data:`ROWS` holds their rows. The ``lt-losses`` rows are read from
``configs/losses/metafile.yml`` (:func:`metafile_rows`), so a new loss needs
no line here.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from benchmarks.common import ROOT
from benchmarks.lt_combinations import COMBINATIONS_DATA, combination_rows
from benchmarks.lt_logs import GROUP_COLUMNS, RECIPE_COLUMNS
from benchmarks.lt_recipes import (FINETUNE_RECIPES_DATA, RECIPES_DATA,
                                   finetune_recipe_rows, recipe_rows)
from benchmarks.lt_rows import ConfigSpec
from benchmarks.page import SECTIONS, section


@dataclass(frozen=True)
class Protocol:
    name: str
    # None: each config's own max_epochs
    epochs: Optional[int]
    # keep the config's validation interval (curves), else validate once
    keep_validation: bool
    description: str


PROTOCOLS: Dict[str, Protocol] = {
    'converged': Protocol(
        name='converged',
        epochs=None,
        keep_validation=True,
        description='each config\'s own schedule (ResNet-20, Fashion-MNIST-'
        'LT n_max 1,000, SGD with warm-up and cosine decay, 60 epochs; '
        'two-stage rows their own stage 2), validation on the held-out '
        'split, the final checkpoint tested'),
    'finetune': Protocol(
        name='finetune',
        epochs=None,
        keep_validation=True,
        description='each config\'s own schedule (EfficientNet-Lite0 from '
        'ImageNet-1k weights, fine-tuned on Fashion-MNIST-LT n_max 1,000 at '
        '80x60, three equal channels, SGD with warm-up and cosine decay, 20 '
        'epochs; two-stage rows their own stage 2), validation on the '
        'held-out split, the final checkpoint tested'),
    'smoke': Protocol(
        name='smoke',
        epochs=4,
        keep_validation=False,
        description='a fixed short schedule for every row (--epochs), '
        'validation and checkpoint at the end only: checks that configs run, '
        'far from convergence'),
}

# ------------------------------------------------------------- the rows
_FM = '1xb128_fashion-mnist-lt1k-ir100'


def _ce() -> ConfigSpec:
    return ConfigSpec('ce', f'configs/baselines/resnet20_ce_{_FM}.py')


def _row(name: str, family: str, method: str, **kw) -> ConfigSpec:
    return ConfigSpec(name, f'configs/{family}/{method}_resnet20_{_FM}.py',
                      **kw)


# the lt-losses section's rows after its two baselines: the losses folder's
# models of the protocol (their configs' stem ends so), in the order of
# configs/losses/metafile.yml; a new loss is a row once its config's model
# is listed there
LOSS_METAFILE = 'configs/losses/metafile.yml'
PROTOCOL_STEM = f'_resnet20_{_FM}'
# rows that are not trained but test an earlier row's checkpoint: post-hoc
# logit adjustment changes only the test-time logits of the cross-entropy
# model, so it is tested on that model, not trained again
TESTED_ON = {'ce-posthoc-la': 'ce'}


def metafile_rows(metafile: str = LOSS_METAFILE) -> List[ConfigSpec]:
    """One row per model of ``metafile`` (relative to the repository)
    whose config is a protocol config of the losses folder
    (``configs/losses/<row>_resnet20_1xb128_fashion-mnist-lt1k-ir100.py``),
    in the metafile's order, named by the config's method (``<row>``); a
    row of :data:`TESTED_ON` tests its stage 1's checkpoint."""
    import yaml
    with open(osp.join(ROOT, metafile)) as f:
        models = yaml.safe_load(f)['Models']
    rows = []
    for model in models:
        folder, name = osp.split(model['Config'])
        stem = osp.splitext(name)[0]
        if folder != 'configs/losses' or not stem.endswith(PROTOCOL_STEM):
            continue
        row = stem[:-len(PROTOCOL_STEM)]
        if row in TESTED_ON:
            rows.append(ConfigSpec(row, model['Config'],
                                   after=TESTED_ON[row],
                                   test_only='{stage1_checkpoint}'))
        else:
            rows.append(ConfigSpec(row, model['Config']))
    return rows


def _losses() -> List[ConfigSpec]:
    """Cross-entropy and MMPretrain's sigmoid focal loss (the baselines),
    then every loss of the losses folder (:func:`metafile_rows`)."""
    return [_ce(), ConfigSpec('focal',
                              f'configs/baselines/resnet20_focal_{_FM}.py')
            ] + metafile_rows()


def _samplers() -> List[ConfigSpec]:
    return [_ce()] + [
        _row(name, 'samplers', name)
        for name in ('class-balanced-sampler', 'sqrt-sampler',
                     'progressive-sampler', 'dynamic-sampler', 'drs')
    ]


# τ picked on the held-out validation split by the search tool, which writes
# the τ-normalised checkpoint that is then tested
TAU_NORM_TEST = dict(
    prepare='{python} tools/analysis_tools/tau_norm_search.py '
    '{stage1_config} {stage1_checkpoint} --split val '
    '--out {run_dir}/tau_search.json '
    '--save-checkpoint {run_dir}/tau_norm.pth',
    test_only='{run_dir}/tau_norm.pth')


def _heads_two_stage() -> List[ConfigSpec]:
    return [
        _ce(),
        _row('cosine-bnneck-ce', 'heads', 'cosine-bnneck-ce'),
        _row('cosine-ldam', 'heads', 'cosine-ldam'),
        _row('deep-supervision', 'heads', 'deep-supervision'),
        _row('crt', 'two_stage', 'crt', after='ce'),
        _row('lws', 'two_stage', 'lws', after='ce'),
        _row('tau-norm', 'two_stage', 'tau-norm', after='ce',
             **TAU_NORM_TEST),
    ]


def _bag_of_tricks() -> List[ConfigSpec]:
    cam = ('{python} tools/dataset/generate_cam_samples.py {stage1_config} '
           '{stage1_checkpoint} --out-dir {run_dir}/cam --seed {seed}')
    cam_root = 'train_dataloader.dataset.datasets.1.data_root={run_dir}/cam'
    return [
        _ce(),
        _row('drs-cam', 'cam_sampling', 'drs-cam', after='ce', prepare=cam,
             cfg=[cam_root]),
        _row('mixup', 'cam_sampling', 'bot-combo-stage1-mixup'),
        # mixup's checkpoint tested with post-hoc logit adjustment: how much
        # of its change on cross-entropy is a classifier shift to the head
        # classes (the mixup-bias section, benchmarks/mixup_bias.py)
        _row('mixup-posthoc-la', 'cam_sampling',
             'bot-combo-stage1-mixup-posthoc-la', after='mixup',
             test_only='{stage1_checkpoint}'),
        _row('bot-combo', 'cam_sampling', 'bot-combo', after='mixup',
             prepare=cam, cfg=[cam_root]),
        _row('flip-tta', 'tta', 'flip-tta', after='ce',
             test_only='{stage1_checkpoint}', test_args=['--tta']),
        _row('flip-multiscale-tta', 'tta', 'flip-multiscale-tta', after='ce',
             test_only='{stage1_checkpoint}', test_args=['--tta']),
    ]


_GL = 'resnet20_1xb128_fashion-mnist-group-lift'
GROUP_LIFT_CASES = ('rare', 'degraded')
# (row, config method) of the group-lift sections, in their order; the
# fine-tuning protocol runs the first five (cross-entropy, the loss weight
# and plans A, B, C)
GROUP_LIFT_METHODS: Tuple[Tuple[str, str], ...] = (
    ('ce', 'ce'),
    ('g1-weight2', 'ce-group1x2'),
    ('plan-a', 'ce-group1x2-groupsampler'),
    ('plan-b', 'ce-group1-curriculum'),
    ('plan-c', 'focal-group1-strongaug'),
    ('focal', 'softmax-focal'),
    ('g1-aug', 'ce-group1-strongaug'),
    ('multitask', 'group-multitask'),
)


def _group_lift(case: str, folder: str = 'group_lift', model: str = _GL,
                rows: Optional[Sequence[str]] = None) -> List[ConfigSpec]:
    """The group plans on Fashion-MNIST-LT with a ``case`` group 1: every
    row first writes the case's data into ``data/group_lift_<case>`` (once:
    the generator leaves a folder holding the same data alone; data seed 0
    for every run seed, as the long-tailed subset) and reads it there, for
    training and test. Row names carry the case, so the two sections' runs
    never share a folder.

    The rows are the configs ``configs/<folder>/<method>_<model>.py`` of
    :data:`GROUP_LIFT_METHODS` (those named in ``rows``, else all of them
    and the routed ensemble of the ResNet-20 rows)."""
    unknown = set(rows or ()) - {name for name, _ in GROUP_LIFT_METHODS}
    if unknown:
        raise ValueError(f'rows {sorted(unknown)} are not group-lift rows '
                         f'({[name for name, _ in GROUP_LIFT_METHODS]})')
    root = f'data/group_lift_{case}'
    prepare = ('{python} tools/dataset/make_group_lift_data.py --case '
               f'{case} --out-dir {root} --seed 0')
    data = [f'{split}_dataloader.dataset.data_root={root}'
            for split in ('train', 'val', 'test')]
    specs = [
        ConfigSpec(f'{name}-{case}',
                   f'configs/{folder}/{method}_{model}.py',
                   prepare=prepare, cfg=list(data),
                   cfg_note=f'train, val and test data_root {root}')
        for name, method in GROUP_LIFT_METHODS
        if rows is None or name in rows
    ]
    if rows is not None:
        return specs
    # not trained: group 1 to plan C's model, the rest to the baseline's
    specs.append(ConfigSpec(
        f'routed-{case}', 'configs/ensemble/'
        'group-routed_resnet20_1xb256_fashion-mnist-group-lift.py',
        prepare=prepare, test_only='none',
        cfg=[f'test_dataloader.dataset.data_root={root}',
             f'model.members.0.checkpoint={{checkpoint[plan-c-{case}]}}',
             f'model.members.1.checkpoint={{checkpoint[ce-{case}]}}']))
    return specs


# ------------------------------------------------- the fine-tuning rows
_FT_DATA = '1xb64_fashion-mnist-lt1k-ir100-80x60'
_FT = f'efficientnet-lite0_{_FT_DATA}'


def _ft_ce() -> ConfigSpec:
    return ConfigSpec(
        'ce', f'configs/baselines/efficientnet-lite0_ce_{_FT_DATA}.py')


def _ft(name: str, method: Optional[str] = None, **kw) -> ConfigSpec:
    return ConfigSpec(name, f'configs/finetune/{method or name}_{_FT}.py',
                      **kw)


def _finetune_methods() -> List[ConfigSpec]:
    """The fine-tuning protocol's rows (configs/finetune/, the ResNet-20
    rows' method blocks on the pretrained EfficientNet-Lite0): cross-
    entropy, the same network from scratch, then the losses, samplers,
    decoupled classifiers and mixup, two-stage and test-only rows chained
    to the cross-entropy row."""
    return [
        _ft_ce(),
        ConfigSpec('ce-scratch', 'configs/baselines/'
                   f'efficientnet-lite0-scratch_ce_{_FT_DATA}.py'),
        _ft('ce-posthoc-la', after='ce', test_only='{stage1_checkpoint}'),
        _ft('logit-adjusted'),
        _ft('balanced-softmax'),
        _ft('ldam-drw'),
        _ft('ce-drw'),
        _ft('class-balanced-sampler'),
        _ft('drs'),
        _ft('crt', after='ce'),
        _ft('lws', after='ce'),
        _ft('tau-norm', after='ce', **TAU_NORM_TEST),
        _ft('softmax-focal'),
        _ft('focal', 'sigmoid-focal'),
        _ft('mixup'),
    ]


# the group-lift rows of the fine-tuning protocol: the ResNet-20 rows'
# method blocks on the pretrained EfficientNet-Lite0 at 80x60
# (configs/finetune/<method>_<_FT_GL>.py)
_FT_GL = 'efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60'
FINETUNE_GROUP_LIFT_ROWS = ('ce', 'g1-weight2', 'plan-a', 'plan-b', 'plan-c')


def _finetune_group_lift(case: str) -> List[ConfigSpec]:
    """Cross-entropy, group 1's loss weight 2 and plans A, B, C on the
    fine-tuned EfficientNet-Lite0, with the data, prepare command and row
    names of the converged sections (:func:`_group_lift`)."""
    return _group_lift(case, 'finetune', _FT_GL, FINETUNE_GROUP_LIFT_ROWS)


# the rows of each planned section; its title is its entry in
# benchmarks/page.py (tests/test_benchmarks/test_page.py checks that the
# two name the same sections)
ROWS: Dict[str, Callable[[], List[ConfigSpec]]] = {
    'lt-losses': _losses,
    'lt-samplers': _samplers,
    'lt-heads-two-stage': _heads_two_stage,
    'lt-bag-of-tricks': _bag_of_tricks,
    'lt-combinations': combination_rows,
    'group-lift-rare': lambda: _group_lift('rare'),
    'group-lift-degraded': lambda: _group_lift('degraded'),
    'recipes': recipe_rows,
    'finetune-methods': _finetune_methods,
    'finetune-group-lift-rare': lambda: _finetune_group_lift('rare'),
    'finetune-group-lift-degraded': lambda: _finetune_group_lift('degraded'),
    'finetune-recipes': finetune_recipe_rows,
}
# planned sections whose table has its own columns (else
# lt_logs.METRIC_COLUMNS) and whose data the header describes in words
# (else lt_render.describe_data reads the first row's config)
SECTION_COLUMNS = {f'{prefix}group-lift-{case}': GROUP_COLUMNS
                   for prefix in ('', 'finetune-')
                   for case in GROUP_LIFT_CASES}
SECTION_COLUMNS['recipes'] = RECIPE_COLUMNS
SECTION_COLUMNS['finetune-recipes'] = RECIPE_COLUMNS


def _group_lift_data(case: str, images: str = "the protocol's images") -> str:
    """The data line of a group-lift section of ``case``, its images
    described as ``images``."""
    return (
        f'`tools/dataset/make_group_lift_data.py --case {case} --seed 0` '
        f'(configs/group_lift/README.md): {images}, training = '
        'the long-tailed Fashion-MNIST subset (IR 100, n_max 1,000, 2,478 '
        'images) with a seeded '
        + ('10% of each class in group 1, rotated by 90 degrees (as easy, '
           'only rare)' if case == 'rare' else
           '30% of each class in group 1, degraded (contrast 0.4, blur '
           'sigma 1, noise std 20 of 255)') +
        '; validated on the 1,000 held-out images and tested on the 10,000 '
        'test images, each twice, as group 0 (as is) and as group 1 '
        '(styled), so group 0 and group 1 are measured on the same images; '
        'balanced and few-shot accuracy over both copies')


SECTION_DATA = {f'group-lift-{case}': _group_lift_data(case)
                for case in GROUP_LIFT_CASES}
SECTION_DATA.update({
    f'finetune-group-lift-{case}': _group_lift_data(
        case, "the protocol's 28x28 grey images resized (bilinear) to 80x60 "
        '(width x height) and repeated into three equal channels, '
        'normalised with the ImageNet mean/std (configs/_base_/datasets/'
        'fashion_mnist_group_lift_80x60_rgb_bs64.py)')
    for case in GROUP_LIFT_CASES})
SECTION_DATA['recipes'] = RECIPES_DATA
SECTION_DATA['lt-combinations'] = COMBINATIONS_DATA
SECTION_DATA['finetune-recipes'] = FINETUNE_RECIPES_DATA
SECTION_DATA['finetune-methods'] = (
    'FashionMNIST long-tailed by LongTailDataset (imbalance ratio 100, '
    'profile \'exp\', n_max 1000, subset seed 0, the same subset for every '
    'run seed: the converged protocol\'s draw), each 28x28 grey image '
    'resized (bilinear) to 80x60 and repeated into three equal channels, '
    'ImageNet mean/std (configs/_base_/datasets/'
    'fashion_mnist_lt1k_80x60_rgb_bs64.py); validated on 100 images per '
    'class held out of the training images the subset does not use; tested '
    'on the balanced 10,000 test images')
SECTION_DATA['finetune-protocol-30e'] = SECTION_DATA['finetune-methods']
SECTION_DATA['finetune-schedule'] = SECTION_DATA['finetune-methods']


def planned_sections() -> List[str]:
    """The planned sections (a title in the page's registry), page order."""
    return [s.name for s in SECTIONS if s.title]


def section_plan(name: str) -> Tuple[str, List[ConfigSpec]]:
    """Title and rows (fresh copies) of a planned section.

    Raises:
        KeyError: For a section without a plan, naming the planned ones.
    """
    if name not in planned_sections():
        raise KeyError(f'section {name!r} has no plan; planned sections: '
                       f'{sorted(planned_sections())} (or give --configs)')
    return section(name).title, ROWS[name]()
