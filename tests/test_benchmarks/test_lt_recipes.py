"""benchmarks/lt_recipes.py: the recipes under the benchmark protocol keep
everything of the recipe file but the data, the backbone (and the image
size it takes) and a fine-tuning learning rate."""
import argparse

import pytest
import torch
from mmengine.config import Config, DictAction

import mmlt  # noqa: F401
from benchmarks import lt_protocol, lt_recipes
from benchmarks.common import ROOT
from mmpretrain.registry import MODELS

# keys the overrides may change (everything else is the recipe's)
CHANGED = ('model', 'data_preprocessor', 'train_dataloader',
           'val_dataloader', 'test_dataloader', 'tta_pipeline',
           'optim_wrapper')


def _merged(path, opts):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = Config.fromfile(f'{ROOT}/{path}')
    cfg.merge_from_dict(parser.parse_args(['--cfg-options'] +
                                          opts).cfg_options)
    return cfg


def _resize_scales(cfg):
    return [scale for key in ('train_dataloader', 'val_dataloader',
                              'test_dataloader', 'tta_pipeline')
            for _, scale in lt_recipes._resizes(cfg.get(key), [key])]


@pytest.mark.parametrize('row', [r for r, _ in lt_recipes.RECIPES])
def test_recipe_runs_on_the_protocol_backbone_and_keeps_the_rest(row):
    spec = {s.name: s for s in lt_protocol.section_plan('recipes')[1]}[row]
    original = Config.fromfile(f'{ROOT}/{spec.path}')
    cfg = _merged(spec.path, spec.cfg)
    # the recipe's training is untouched
    for key in set(original) - set(CHANGED):
        assert cfg[key] == original[key], key
    assert cfg.train_dataloader.sampler == original.train_dataloader.sampler
    assert cfg.train_dataloader.batch_size == \
        original.train_dataloader.batch_size
    assert [t.type for t in cfg.train_dataloader.dataset.pipeline] == \
        [t.type for t in original.train_dataloader.dataset.pipeline]
    assert cfg.optim_wrapper.optimizer.type == \
        original.optim_wrapper.optimizer.type
    assert cfg.optim_wrapper.optimizer.lr == max(
        original.optim_wrapper.optimizer.lr, 1e-3)
    assert cfg.data_preprocessor.get('batch_augments') == \
        original.data_preprocessor.get('batch_augments')
    head, head0 = cfg.model.head, original.model.head
    assert head.type == head0.type
    inner, inner0 = head.get('head', head), head0.get('head', head0)
    assert inner.loss == inner0.loss
    # the data, the backbone and the image size are the protocol's
    for split in ('train', 'val', 'test'):
        assert cfg[f'{split}_dataloader'].dataset.data_root == \
            'data/group_lift_degraded'
    assert cfg.model.backbone.type == 'ResNetCIFARLT'
    assert cfg.model.backbone.depth == 20
    assert 'init_cfg' not in cfg.model.backbone
    assert all(s[0] <= 31 and s[1] <= 31 for s in _resize_scales(cfg))
    assert (28, 28) in _resize_scales(cfg)
    assert spec.test_args == (['--tta'] if row == 'v2.1' else [])
    # and the model it builds classifies 28x28 images into 10 classes
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 28, 28), mode='tensor')
    out = out[0] if isinstance(out, (tuple, list)) else out
    assert out.shape == (2, 10)


def test_deep_supervision_keeps_the_weights_of_the_stages_it_has():
    spec = {s.name: s for s in lt_protocol.section_plan('recipes')[1]}['v4']
    cfg = _merged(spec.path, spec.cfg)
    assert cfg.model.head.aux_stages == (0, 1)
    assert cfg.model.head.aux_in_channels == (16, 32)
    assert cfg.model.head.loss_weights == (1.0, 0.3, 0.3)
    assert cfg.model.backbone.out_indices == (0, 1, 2)


def test_recipe_without_resize_is_refused(tmp_path):
    config = tmp_path / 'r.py'
    config.write_text(
        "_base_ = ['%s/configs/recipes/v1-cb-resample-plateau_efficientnet-"
        "b0_1xb32_own-csv.py']\n"
        "train_dataloader = dict(dataset=dict(pipeline=[dict(type='"
        "PackInputs')]))\n"
        "val_dataloader = train_dataloader\n"
        "test_dataloader = train_dataloader\n" % ROOT)
    with pytest.raises(ValueError, match='no Resize in its pipelines'):
        lt_recipes.recipe_overrides(Config.fromfile(str(config)),
                                    str(config),
                                    lt_recipes.protocol_backbone())


def test_rows_line_names_the_overrides_instead_of_listing_them():
    from benchmarks import lt_render
    rows = {s.name: s for s in lt_protocol.section_plan('recipes')[1]}
    text = lt_render.describe_row(rows['v2'])
    assert text.startswith('v2: `configs/recipes/v2-swa-mixup-cutmix-ls_'
                           'convnext-base_1xb32_own-csv.py`')
    assert f'with the {len(rows["v2"].cfg)} `--cfg-options` of ' \
        '`benchmarks/lt_recipes.py` (data, ResNet-20, 28x28, lr 1e-3)' in text
    assert 'lr 1e-3' not in lt_render.describe_row(rows['v1'])
    assert 'model.backbone' not in text


@pytest.mark.parametrize('name,changed,sampler_of', lt_recipes.ABLATIONS)
def test_ablation_is_its_recipe_row_with_one_change_the_sampler(
        name, changed, sampler_of):
    rows = {s.name: s for s in lt_protocol.section_plan('recipes')[1]}
    ablation, recipe = rows[name], rows[changed]
    assert ablation.path == recipe.path
    assert ablation.test_args == recipe.test_args
    assert ablation.cfg[:len(recipe.cfg)] == recipe.cfg
    cfg = _merged(ablation.path, ablation.cfg)
    base = _merged(recipe.path, recipe.cfg)
    donor = Config.fromfile(f'{ROOT}/{rows[sampler_of].path}')
    # the donor's sampler replaces the recipe's (no key of it left over) ...
    assert cfg.train_dataloader.sampler == donor.train_dataloader.sampler
    assert cfg.train_dataloader.sampler != base.train_dataloader.sampler
    # ... and nothing else changes
    cfg.train_dataloader.pop('sampler')
    base.train_dataloader.pop('sampler')
    assert cfg.to_dict() == base.to_dict()
    assert f'with the {len(ablation.cfg)} `--cfg-options`' in \
        ablation.cfg_note
    assert f"{sampler_of.upper()}'s training sampler (" \
        f'{donor.train_dataloader.sampler.type}' in ablation.cfg_note


def test_v2_ablation_takes_v1s_class_balanced_sampler():
    rows = {s.name: s for s in lt_protocol.section_plan('recipes')[1]}
    assert "V1's training sampler (RebalancedSampler, class_balanced)" in \
        rows['v2-cb-resample'].cfg_note
    assert "V2's training sampler (DefaultSampler)" in \
        rows['v3-plain-sampler'].cfg_note
