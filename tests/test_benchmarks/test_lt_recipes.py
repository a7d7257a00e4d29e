"""benchmarks/lt_recipes.py: the recipes under the benchmark protocol keep
everything of the recipe file but the data, the backbone (and the image
size it takes) and a fine-tuning learning rate; under the fine-tuning
protocol, everything but the data and the backbone (the pretrained
EfficientNet-Lite0, weights channels-last)."""
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
                                    lt_recipes.scratch_network())


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


# ---------------------------------------------------- fine-tuning protocol
FT_CHECKPOINT = 'checkpoints/efficientnet-lite0_tf_in1k_mmpretrain.pth'


def _finetune_rows():
    return {s.name: s for s in lt_protocol.section_plan('finetune-recipes')[1]}


def test_the_finetune_section_runs_v1_to_v4_on_the_recipes_data():
    rows = lt_protocol.section_plan('finetune-recipes')[1]
    assert [r.name for r in rows] == ['v1', 'v2', 'v3', 'v4']
    converged = {s.name: s for s in lt_protocol.section_plan('recipes')[1]}
    for row in rows:
        assert row.path == converged[row.name].path
        assert row.prepare == converged[row.name].prepare
        assert row.test_args == [] and not row.after
        assert 'EfficientNet-Lite0 from ImageNet-1k weights, channels-last' \
            in row.cfg_note
        assert 'lr' not in row.cfg_note and '28x28' not in row.cfg_note
    assert lt_protocol.SECTION_COLUMNS['finetune-recipes'] == \
        lt_protocol.SECTION_COLUMNS['recipes']
    assert 'EfficientNet-Lite0' in lt_protocol.SECTION_DATA['finetune-recipes']


@pytest.mark.parametrize('row', lt_recipes.FINETUNE_RECIPES)
def test_finetune_recipe_runs_on_the_pretrained_lite0_and_keeps_the_rest(
        row):
    spec = _finetune_rows()[row]
    original = Config.fromfile(f'{ROOT}/{spec.path}')
    cfg = _merged(spec.path, spec.cfg)
    # the recipe's training is untouched: its lr (a fine-tuning rate), its
    # image size and pipelines, its hooks (plus channels-last)
    for key in set(original) - {'model', 'data_preprocessor',
                                'train_dataloader', 'val_dataloader',
                                'test_dataloader', 'default_hooks'}:
        assert cfg[key] == original[key], key
    assert cfg.optim_wrapper.optimizer.lr == \
        original.optim_wrapper.optimizer.lr
    for split in ('train', 'val', 'test'):
        loader, loader0 = cfg[f'{split}_dataloader'], \
            original[f'{split}_dataloader']
        assert loader.dataset.data_root == 'data/group_lift_degraded'
        loader.dataset.pop('data_root')
        loader0.dataset.pop('data_root')
        assert loader == loader0, split
    assert (80, 60) in _resize_scales(cfg)
    assert cfg.data_preprocessor.num_classes == 10
    cfg.data_preprocessor.pop('num_classes')
    original.data_preprocessor.pop('num_classes')
    assert cfg.data_preprocessor == original.data_preprocessor
    hooks = dict(cfg.default_hooks)
    assert hooks.pop('channels_last') == dict(type='ChannelsLastHook')
    assert hooks == original.default_hooks
    inner, inner0 = (cfg.model.head.get('head', cfg.model.head),
                     original.model.head.get('head', original.model.head))
    assert inner.loss == inner0.loss and inner.num_classes == 10
    # the backbone is the fine-tuning protocol's, from the ImageNet weights
    backbone = cfg.model.backbone
    assert backbone.type == ('TIMMStages' if row == 'v4' else 'TIMMBackbone')
    assert backbone.model_name == 'tf_efficientnet_lite0'
    assert backbone.pretrained is False
    assert backbone.init_cfg == dict(type='Pretrained',
                                     checkpoint=FT_CHECKPOINT,
                                     prefix='backbone')
    assert cfg.model.neck == dict(type='GlobalAveragePooling')
    assert backbone.features_only is False
    assert inner.in_channels == 1280
    # the model classifies 80x60 images into 10 classes
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 60, 80), mode='tensor')
    out = out[0] if isinstance(out, (tuple, list)) else out
    assert out.shape == (2, 10)


def test_finetune_deep_supervision_reads_lite0_stages():
    spec = _finetune_rows()['v4']
    cfg = _merged(spec.path, spec.cfg)
    assert cfg.model.backbone.type == 'TIMMStages'
    assert cfg.model.backbone.out_indices == (1, 2, 3)
    assert cfg.model.head.aux_stages == (0, 1, 2)
    assert cfg.model.head.aux_in_channels == (24, 40, 112)
    # the main classifier reads the final map after the head convolution
    assert cfg.model.head.head.in_channels == 1280
    # all of the recipe's weights: main 1.0, three auxiliaries 0.3
    assert cfg.model.head.loss_weights == (1.0, 0.3, 0.3, 0.3)
    assert 'deep supervision on 3 stages' in spec.cfg_note
    # the channels are what the backbone returns (strides 4, 8, 16, 32)
    backbone = MODELS.build(cfg.model.backbone)
    backbone.eval()
    with torch.no_grad():
        feats = backbone(torch.zeros(1, 3, 60, 80))
    assert [f.shape[1] for f in feats] == \
        list(lt_recipes.LITE0_STAGE_CHANNELS)
    assert [f.shape[2:] for f in feats] == [(15, 20), (8, 10), (4, 5),
                                            (2, 3)]


@pytest.mark.parametrize('row', ['v1', 'v4'])
def test_finetune_recipe_loads_the_imagenet_weights(row, lite0_checkpoint):
    """The init_cfg loads every tensor of the converted checkpoint, V4's
    stage backbone (TIMMStages) included: its head convolution too."""
    from mmengine.registry import DefaultScope
    from mmlt.utils.checkpoint_trust import load_checkpoint_file
    spec = _finetune_rows()[row]
    cfg = _merged(spec.path, spec.cfg)
    cfg.model.backbone.init_cfg.checkpoint = lite0_checkpoint
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    saved = load_checkpoint_file(lite0_checkpoint, 'cpu',
                                 trusted=False)['state_dict']
    expected = set(saved)
    assert 'backbone.timm_model.conv_head.weight' in expected
    loaded = model.state_dict()
    assert {k for k in loaded if k.startswith('backbone.')} == expected
    for key in expected:
        assert torch.equal(loaded[key], saved[key]), key
