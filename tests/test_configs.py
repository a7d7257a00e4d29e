"""Every config parses, builds its model, and names mmlt the same way."""
import copy
import glob
import os
import os.path as osp
import re

import pytest
import yaml
from mmengine.config import Config

import mmlt  # noqa: F401
from mmlt.datasets.lt_profiles import long_tail_counts
from mmlt.registry import HOOKS, MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(ROOT, 'configs')
# Every config a user runs: the bases (configs/_base_) are fragments, and
# ensembles (configs/ensemble) only test trained members and are not
# trained: tests/test_models/test_classifiers checks them.
CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if osp.relpath(p, CONFIG_DIR).split(osp.sep)[0] not in ('_base_',
                                                            'ensemble'))
# mmlt's own hooks: registered in default_hooks, never in custom_hooks
MMLT_HOOKS = ('LongTailContextHook', 'CheckFiniteLossHook',
              'DeferredReweightingHook', 'DeferredResamplingHook',
              'IBWarmStartHook', 'GroupWeightCurriculumHook',
              'BatchAugmentOffHook', 'ClassifierRetrainHook',
              'LoadFromCheckHook', 'SWAHook', 'WorldSizeCheckHook')
LOSS_CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'losses', '*.py')))


def test_there_are_configs():
    assert osp.join(CONFIG_DIR, 'lt', 'convnext_focal.py') in CONFIGS
    assert len(CONFIGS) >= 5


def _config_id(path):
    return osp.relpath(path, CONFIG_DIR)


def _pipelines(dataset):
    """The pipelines of a dataset config, through wrappers (``dataset=``,
    ``ConcatDataset(datasets=[...])``)."""
    if 'datasets' in dataset:
        return [p for d in dataset.datasets for p in _pipelines(d)]
    if dataset.get('pipeline'):
        return [dataset.pipeline]
    return _pipelines(dataset.dataset)


@pytest.mark.parametrize('path', CONFIGS, ids=_config_id)
def test_config_builds_and_is_consistent(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert 'mmlt' in cfg.custom_imports['imports']
    hooks = [h['type'] for h in cfg.default_hooks.values()]
    assert 'LongTailContextHook' in hooks and 'CheckFiniteLossHook' in hooks
    assert not [h['type'] for h in cfg.custom_hooks
                if h['type'] in MMLT_HOOKS]
    # mmlt's hooks build (MMEngine's VisualizationHook needs a Visualizer)
    for hook in list(cfg.default_hooks.values()) + list(cfg.custom_hooks):
        if hook['type'] in MMLT_HOOKS:
            HOOKS.build(copy.deepcopy(hook))
    model = MODELS.build(cfg.model)
    num_classes = model.head.num_classes
    assert cfg.data_preprocessor.num_classes == num_classes
    # group ids are packed for the head and the metric
    for split in ('train_dataloader', 'test_dataloader'):
        for pipeline in _pipelines(cfg[split].dataset):
            assert pipeline[-1] == dict(
                type='PackInputs', algorithm_keys=['group_id'])
    # test sets are never wrapped: balanced test sets stay balanced
    assert cfg.test_dataloader.dataset.type != 'LongTailDataset'
    val = cfg.val_dataloader.dataset
    # ... and a long-tailed validation set only as the balanced split held
    # out of the training images
    assert val.type != 'LongTailDataset' or (
        val.split == 'held_out' and val.held_out_per_class > 0)


def test_mmpretrain_base_inheritance(tmp_path):
    cfg_file = tmp_path / 'child.py'
    cfg_file.write_text(
        "_base_ = ['mmpretrain::_base_/models/resnet18_cifar.py']\n"
        "model = dict(head=dict(type='LTLinearClsHead', num_classes=7))\n")
    cfg = Config.fromfile(str(cfg_file))
    model = MODELS.build(cfg.model)
    assert model.head.num_classes == 7
    assert type(model.head).__name__ == 'LTLinearClsHead'


def test_documented_lt_sizes_of_the_configs():
    # configs/_base_/datasets/cifar*_lt_bs128.py state these sizes
    assert long_tail_counts(10, 5000, 100).sum() == 12406
    assert long_tail_counts(100, 500, 100).sum() == 10847


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if 'digits' in osp.basename(p)
             or osp.basename(p) == 'convnext_focal.py'], ids=osp.basename)
def test_digits_configs_build_their_data_and_sampler(path):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    cfg = Config.fromfile(path)
    DefaultScope.get_instance(f'test_{osp.basename(path)}',
                              scope_name='mmpretrain')
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch = next(iter(loader))
    assert len(batch['data_samples']) == cfg.train_dataloader.batch_size
    assert all('group_id' in s for s in batch['data_samples'])
    # the config survives a dump and reload (as the Runner does)
    dumped = Config.fromstring(cfg.pretty_text, '.py')
    assert dumped.train_dataloader.sampler == cfg.train_dataloader.sampler


def test_loss_configs_cover_both_datasets():
    names = {osp.basename(p).split('_')[0] for p in LOSS_CONFIGS}
    # the group plans run on digits-LT only (the others have no groups)
    digits_only = {'ce-group1x2', 'ce-group1-curriculum',
                   'ce-group1x2-groupsampler', 'focal-group1-strongaug'}
    for name in names - digits_only:
        for stem in ('resnet20_1xb128_fashion-mnist-lt1k-ir100',
                     'convnext-atto_1xb128_cifar10-lt-ir100'):
            assert osp.isfile(
                osp.join(ROOT, 'configs', 'losses',
                         f'{name}_{stem}.py')), (name, stem)


@pytest.mark.parametrize('path', LOSS_CONFIGS, ids=osp.basename)
def test_paper_configs_reduce_class_weights_as_the_paper_code(path):
    # LDAM-DRW's and Bag-of-Tricks-LT's code reduce the class-weighted loss
    # with F.cross_entropy(weight=w): sum_i w_yi L_i / sum_i w_yi
    loss = Config.fromfile(path).model.head.loss
    paper_code_weight_sum = osp.basename(path).startswith(
        ('ldam-drw_', 'cs-ce_'))
    expected = 'weight_sum' if paper_code_weight_sum else None
    assert loss.get('class_weight_norm') == expected
    if expected:
        assert MODELS.build(loss).class_weight_norm == expected


@pytest.mark.parametrize(
    'path', [p for p in LOSS_CONFIGS if '_1xb128_' in p], ids=osp.basename)
def test_loss_configs_change_only_loss_and_hooks_of_their_baseline(path):
    # same data, model, schedule and runtime as the cross-entropy baseline
    # of their data set (the row they are compared with)
    stem = osp.basename(path).split('_', 1)[1]
    cfg = Config.fromfile(path).to_dict()
    base = Config.fromfile(
        osp.join(CONFIG_DIR, 'baselines',
                 stem.replace('_1xb128_', '_ce_1xb128_'))).to_dict()
    for c in (cfg, base):
        head = c['model']['head']
        for key in ('type', 'loss', 'logit_adjust_tau', 'group_weight'):
            head.pop(key, None)
        c.pop('custom_hooks')
        c.pop('default_hooks')
        c['data_preprocessor'].pop('batch_augments', None)
    assert cfg == base


def _hook_types(cfg) -> list:
    return sorted(h['type'] for h in list(cfg.default_hooks.values()) +
                  list(cfg.custom_hooks) if h is not None)


@pytest.mark.parametrize('path', CONFIGS, ids=_config_id)
def test_child_custom_hooks_keep_mmlt_hooks(path, tmp_path):
    """A child config that adds a hook the usual OpenMMLab way (its own
    custom_hooks list) keeps every hook of mmlt's, options included."""
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{path!r}]\n'
                     "custom_hooks = [dict(type='EMAHook')]\n")
    parent, cfg = Config.fromfile(path), Config.fromfile(str(child))
    assert _hook_types(cfg) == sorted(_hook_types(parent) + ['EMAHook'])
    for key, hook in parent.default_hooks.items():
        assert cfg.default_hooks[key] == hook


# ---------------------------------------------------------------------------
# configs/<family>/README.md and metafile.yml (MMPretrain's shape)

FAMILIES = sorted(
    d for d in os.listdir(CONFIG_DIR)
    if osp.isdir(osp.join(CONFIG_DIR, d)) and d != '_base_')


def _metafile(family):
    with open(osp.join(CONFIG_DIR, family, 'metafile.yml')) as f:
        return yaml.safe_load(f)


def _bench_sections():
    """``{key: section}`` of docs/benchmarks.md's result tables, read as
    benchmarks/sync_config_results.py reads them (cells, lines and the
    config of each row)."""
    from benchmarks.sync_config_results import read_sections
    with open(osp.join(ROOT, 'docs', 'benchmarks.md')) as f:
        return {s.key: s for s in read_sections(f.read())}


def _expected_result_count(sections) -> int:
    """Section rows in the table (a section being run lists rows not run
    yet in its Rows line only) whose config is a metafile model, except in
    the sections that run a config with another model, data or schedule
    than its metafile entry (their rows stay in the READMEs only)."""
    from benchmarks.sync_config_results import NOT_THE_METAFILE_MODEL
    listed = {model['Config'] for family in FAMILIES
              for model in _metafile(family)['Models']}
    return sum(1 for key, section in sections.items()
               if key not in NOT_THE_METAFILE_MODEL
               for row, config in section.configs.items()
               if config in listed and row in section.cells)


def test_every_config_folder_has_readme_and_metafile():
    assert {'baselines', 'losses', 'samplers', 'two_stage'} <= set(FAMILIES)
    with open(osp.join(CONFIG_DIR, 'README.md')) as f:
        index = f.read()
    for family in FAMILIES + ['_base_']:
        assert f'[`{family}/`](./{family})' in index, family
    for family in FAMILIES:
        assert osp.isfile(osp.join(CONFIG_DIR, family, 'README.md')), family
        meta = _metafile(family)
        collections = [c['Name'] for c in meta['Collections']]
        assert len(set(collections)) == len(collections), family
        listed = []
        for model in meta['Models']:
            assert model['In Collection'] in collections, model['Name']
            config = model['Config']
            assert osp.isfile(osp.join(ROOT, config)), config
            assert osp.basename(config) == model['Name'] + '.py'
            listed.append(config)
        on_disk = sorted(
            osp.relpath(p, ROOT)
            for p in glob.glob(osp.join(CONFIG_DIR, family, '*.py')))
        assert sorted(listed) == on_disk, family


def test_results_are_copied_from_docs_benchmarks():
    sections = _bench_sections()
    titles = {'top-1': 'Top 1 Accuracy', 'balanced': 'Balanced Accuracy',
              'many': 'Many-Shot Accuracy', 'medium': 'Medium-Shot Accuracy',
              'few': 'Few-Shot Accuracy', 'macro-F1': 'Macro-F1',
              'group 1': 'Group 1 Accuracy', 'group 0': 'Group 0 Accuracy'}
    found = 0
    for family in FAMILIES:
        for model in _metafile(family)['Models']:
            for result in model.get('Results', []):
                key, row = re.search(r'section bench:([\w-]+) .*, row (\S+)$',
                                     result['Source']).groups()
                section = sections[key]
                assert section.configs[row] == model['Config']
                cells = section.cells[row]
                assert result['Seeds'] == int(cells['seeds'])
                expected = {title: float(cells[col].split(' ± ')[0])
                            for col, title in titles.items()
                            if cells.get(col, 'n/a') != 'n/a'}
                assert result['Metrics'] == expected, (model['Name'], key)
                found += 1
        # every results row of the README is a row of docs/benchmarks.md
        with open(osp.join(CONFIG_DIR, family, 'README.md')) as f:
            readme = f.read()
        results = readme.split('## Results')[1].split('\n## ')[0]
        all_rows = {line for section in sections.values()
                    for line in section.lines.values()}
        for line in results.splitlines():
            if line.startswith('| ') and not line.startswith('| config'):
                assert line in all_rows, (family, line)
    # every row of a planned section whose config is listed in a metafile
    # has its Results there (benchmarks/sync_config_results.py copies them)
    assert found == _expected_result_count(sections)


def _transforms(node):
    """Every dict with a ``type`` anywhere in a config value."""
    if isinstance(node, dict):
        if 'type' in node:
            yield node
        for value in node.values():
            yield from _transforms(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _transforms(value)


@pytest.mark.parametrize('path', CONFIGS, ids=_config_id)
def test_random_magnitudes_are_drawn_not_fixed(path):
    """MMPretrain's Rotate/Shear/Translate... with ``magnitude_range`` and
    the default ``magnitude_std=0`` always apply the range's end
    (``magnitude_level`` 10 of 10): "up to 15 degrees" needs
    ``magnitude_std='inf'`` (uniform in the range)."""
    cfg = Config.fromfile(path).to_dict()
    for t in _transforms(cfg):
        if t.get('magnitude_range') is not None and \
                'magnitude_level' not in t:
            assert t.get('magnitude_std') not in (None, 0, 0.), (
                path, t['type'])
