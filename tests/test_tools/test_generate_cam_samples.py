"""tools/dataset/generate_cam_samples.py and mmlt.cam.generation on the
long-tailed digits of scikit-learn with a tiny synthetic checkpoint, and the
stage-2 configs that read what it writes."""
import copy
import csv
import os.path as osp
import runpy
import sys

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmlt  # noqa: F401
from mmlt.cam.generation import (ANN_FILE, generate_cam_samples,
                                 generation_count_table, split_test_pipeline,
                                 strip_pipelines)
from mmlt.datasets import get_class_counts

from data_helpers import needs_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'dataset', 'generate_cam_samples.py')
CAM_CONFIGS = osp.join(ROOT, 'configs', 'cam_sampling')
DIGITS_CLASSES = [str(i) for i in range(10)]

# digits-LT (8x8x3 arrays), resized to 32: a ConvNeXt with a 1-pixel stem
# leaves a 4x4 last map; GAP neck, mmlt's linear head.
TINY_CONFIG = f"""
_base_ = ['{ROOT}/configs/_base_/datasets/digits_lt_bs32.py',
          '{ROOT}/configs/_base_/default_runtime.py']
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1],
                  channels=[8, 8, 8, 8]), stem_patch_size=1,
                  gap_before_final_norm=False),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LTLinearClsHead', num_classes=10, in_channels=8))
"""


@pytest.fixture(scope='module')
def stage1(tmp_path_factory):
    """A tiny config and a synthetic stage-1 checkpoint of it."""
    from mmpretrain.registry import MODELS
    root = tmp_path_factory.mktemp('stage1')
    config = root / 'tiny_digits.py'
    config.write_text(TINY_CONFIG)
    cfg = Config.fromfile(str(config))
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    checkpoint = root / 'epoch_1.pth'
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()),
               checkpoint)
    return cfg, str(config), str(checkpoint)


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def build_cam_set(out_dir, ndim=3):
    from mmpretrain.registry import DATASETS
    init_default_scope('mmpretrain')
    load = dict(type='LoadImageFromFile') if ndim == 3 else dict(
        type='LoadImageFromFile', color_type='grayscale')
    return DATASETS.build(
        dict(type='GroupAnnotationDataset', data_root=str(out_dir),
             ann_file=ANN_FILE, classes=DIGITS_CLASSES, pipeline=[load]))


def run_tool(args, monkeypatch):
    """Run the tool's main() in this process (as ``python TOOL args``)."""
    monkeypatch.setattr(sys, 'argv', [TOOL] + [str(a) for a in args])
    runpy.run_path(TOOL, run_name='__main__')


def test_tool_writes_pngs_and_a_csv_that_group_annotation_dataset_reads(
        stage1, tmp_path, monkeypatch, capsys):
    _, config, checkpoint = stage1
    out = tmp_path / 'cam'
    run_tool([config, checkpoint, '--out-dir', out, '--max-per-class', 6,
              '--transform', 'flip', '--seed', 1], monkeypatch)
    stdout = capsys.readouterr().out
    assert 'generated' in stdout and 'total' in stdout
    assert 'datasets.1.data_root' in stdout
    rows = read_csv(out / ANN_FILE)
    assert list(rows[0]) == ['filename', 'label', 'group_id',
                             'source_index', 'transform']
    assert {r['transform'] for r in rows} == {'flip'}
    # the head class of digits-LT (IR 10) has far more than 6 missing
    assert len(rows) == 60

    dataset = build_cam_set(out)
    assert len(dataset) == 60
    labels = dataset.get_gt_labels()
    assert labels.tolist() == [int(r['label']) for r in rows]
    assert np.bincount(labels, minlength=10).tolist() == [6] * 10
    item = dataset[0]
    assert item['img'].shape == (8, 8, 3) and item['img'].dtype == np.uint8


def test_images_keep_background_labels_groups_and_sources(stage1, tmp_path):
    from mmpretrain.registry import DATASETS
    cfg, _, checkpoint = stage1
    # classes below 30 images are brought to 30 (the head class of
    # digits-LT has 129, the tail 13)
    result = generate_cam_samples(cfg, checkpoint, str(tmp_path), seed=0,
                                  target=30, transform='translate')
    counts = result.class_counts
    assert (counts + result.generated == np.maximum(counts, 30)).all()
    assert result.generated.max() > 10
    assert len(result.rows) == result.generated.sum()

    init_default_scope('mmpretrain')
    source = DATASETS.build(strip_pipelines(cfg.train_dataloader.dataset))
    cam_set = build_cam_set(tmp_path)
    assert cam_set.get_gt_labels().tolist() == [
        r['gt_label'] for r in result.rows]
    unchanged = 0
    for i, row in enumerate(result.rows):
        info = source.get_data_info(row['source_index'])
        assert info['gt_label'] == row['gt_label']
        assert info['group_id'] == row['group_id']
        assert cam_set.get_data_info(i)['source_index'] == row[
            'source_index']
        new = cam_set[i]['img']
        assert new.shape == info['img'].shape
        # pixels left as they were: at least the background outside the
        # object and its moved copy; a pure shift moves values, never
        # invents them
        assert set(np.unique(new)) <= set(np.unique(info['img'])) | {0}
        unchanged += np.array_equal(new, info['img'])
    assert result.unchanged == unchanged

    # the LT set plus the CAM set is balanced for the stage-2 sampler
    from mmengine.dataset import ConcatDataset
    both = ConcatDataset([source, cam_set])
    assert (get_class_counts(both, 10) == np.maximum(counts, 30)).all()
    table = generation_count_table(result.class_counts, result.generated,
                                   result.classes)
    assert f'{counts.sum():>9}' in table.splitlines()[-1]


def test_same_seed_same_images(stage1, tmp_path):
    cfg, _, checkpoint = stage1
    runs = []
    for name, seed in (('a', 5), ('b', 5), ('c', 6)):
        generate_cam_samples(cfg, checkpoint, str(tmp_path / name),
                             seed=seed, max_per_class=3)
        rows = read_csv(tmp_path / name / ANN_FILE)
        images = [mmcv.imread(str(tmp_path / name / r['filename']),
                              'unchanged') for r in rows]
        runs.append((rows, images))
    (rows_a, img_a), (rows_b, img_b), (rows_c, img_c) = runs
    assert rows_a == rows_b
    assert all(np.array_equal(x, y) for x, y in zip(img_a, img_b))
    assert rows_a != rows_c or not all(
        np.array_equal(x, y) for x, y in zip(img_a, img_c))


def test_gradient_weighted_cam_of_an_earlier_layer(stage1, tmp_path):
    cfg, _, checkpoint = stage1
    cfg = copy.deepcopy(cfg)
    # mmlt's ConvNeXt: pooled before its final norm, last map 1x1 at 32x32
    cfg.model.backbone = dict(type='ConvNeXt', arch=dict(
        depths=[1, 1, 1, 1], channels=[8, 8, 8, 8]))
    cfg.model.neck = None
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    ckpt = tmp_path / 'pooled.pth'
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), ckpt)
    with pytest.raises(ValueError, match='1x1.*--cam-layer'):
        generate_cam_samples(cfg, str(ckpt), str(tmp_path / 'a'),
                             max_per_class=2)
    result = generate_cam_samples(cfg, str(ckpt), str(tmp_path / 'b'),
                                  max_per_class=2,
                                  cam_layer='backbone.stages.0')
    assert len(result.rows) == 20


def test_bad_inputs_name_the_value(stage1, tmp_path):
    cfg, _, checkpoint = stage1
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        generate_cam_samples(cfg, missing, str(tmp_path / 'a'))
    no_cam = copy.deepcopy(cfg)
    no_cam.model.head = dict(type='StackedLinearClsHead', num_classes=10,
                             in_channels=8, mid_channels=[4])
    with pytest.raises(ValueError, match='CAM is undefined.*Stacked'):
        generate_cam_samples(no_cam, checkpoint, str(tmp_path / 'b'))
    with pytest.raises(ValueError, match="transform='shear'"):
        generate_cam_samples(cfg, checkpoint, str(tmp_path / 'c'),
                             transform='shear', max_per_class=1)
    with pytest.raises(ValueError, match='mean_ratio=-0.5'):
        generate_cam_samples(cfg, checkpoint, str(tmp_path / 'c'),
                             mean_ratio=-0.5)
    with pytest.raises(ValueError, match="layer='head.nope'"):
        generate_cam_samples(cfg, checkpoint, str(tmp_path / 'c'),
                             cam_layer='head.nope', max_per_class=1)
    with pytest.raises(ValueError, match="target='all'"):
        generate_cam_samples(cfg, checkpoint, str(tmp_path / 'd'),
                             target='all')
    generate_cam_samples(cfg, checkpoint, str(tmp_path / 'e'),
                         max_per_class=1)
    with pytest.raises(FileExistsError, match=ANN_FILE):
        generate_cam_samples(cfg, checkpoint, str(tmp_path / 'e'),
                             max_per_class=1)
    generate_cam_samples(cfg, checkpoint, str(tmp_path / 'e'),
                         max_per_class=1, overwrite=True)
    stage2 = Config.fromfile(osp.join(
        CAM_CONFIGS, 'drs-cam_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'))
    with pytest.raises(ValueError, match='stage-1 config'):
        generate_cam_samples(stage2, checkpoint, str(tmp_path / 'f'))


def test_tool_reports_a_missing_checkpoint(stage1, tmp_path, monkeypatch):
    _, config, _ = stage1
    with pytest.raises(FileNotFoundError, match='gone.pth.*does not exist'):
        run_tool([config, tmp_path / 'gone.pth', '--out-dir', tmp_path / 'x'],
                 monkeypatch)


def test_test_pipeline_may_resize_but_not_crop():
    load, rest = split_test_pipeline([
        dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=36),
        dict(type='PackInputs')])
    assert [t['type'] for t in load] == ['LoadImageFromFile']
    assert [t['type'] for t in rest] == ['ResizeEdge', 'PackInputs']
    with pytest.raises(ValueError, match='CenterCrop'):
        split_test_pipeline([dict(type='CenterCrop', crop_size=8)])


def test_strip_pipelines_goes_through_wrappers():
    cfg = dict(type='ConcatDataset', datasets=[
        dict(type='A', pipeline=[1]),
        dict(type='LongTailDataset', dataset=dict(type='B', pipeline=[2]))])
    stripped = strip_pipelines(cfg)
    assert stripped['datasets'][0]['pipeline'] == []
    assert stripped['datasets'][1]['dataset']['pipeline'] == []
    assert cfg['datasets'][0]['pipeline'] == [1]


# ---------------------------------------------------- the stage-2 configs
# config, shape of the source arrays, a class name, the source dataset type
STAGE2 = [
    ('drs-cam_resnet20_1xb128_fashion-mnist-lt1k-ir100.py', (28, 28),
     'Trouser', 'FashionMNIST'),
    ('bot-combo_resnet20_1xb128_fashion-mnist-lt1k-ir100.py', (28, 28),
     'Trouser', 'FashionMNIST'),
    ('drs-cam_resnet32_1xb128_cifar10-lt-ir100.py', (32, 32, 3),
     'automobile', 'CIFAR10'),
    ('bot-combo_resnet32_1xb128_cifar10-lt-ir100.py', (32, 32, 3),
     'automobile', 'CIFAR10'),
]
FASHION_STAGE2 = [s[0] for s in STAGE2 if s[3] == 'FashionMNIST']


@pytest.mark.parametrize('name,shape,class_name,source', STAGE2,
                         ids=[s[0] for s in STAGE2])
def test_stage2_reads_generated_pngs_like_the_lt_arrays(
        name, shape, class_name, source, tmp_path):
    """A PNG written as the tool writes it loads to the very array of the
    source dataset (one-channel 28x28 for Fashion-MNIST, 32x32x3 for
    CIFAR), and goes through the long-tailed set's training pipeline."""
    import mmpretrain.datasets
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(osp.join(CAM_CONFIGS, name))
    cfg.merge_from_dict(
        {'train_dataloader.dataset.datasets.1.data_root': str(tmp_path)})
    lt_cfg, cam_cfg = cfg.train_dataloader.dataset.datasets
    assert cam_cfg.data_root == str(tmp_path)
    assert lt_cfg.type == 'LongTailDataset' and lt_cfg.dataset.type == source
    assert cam_cfg.pipeline[0]['type'] == 'LoadImageFromFile'
    assert cam_cfg.pipeline[1:] == lt_cfg.dataset.pipeline
    array = np.random.default_rng(0).integers(0, 256, shape).astype(
        np.uint8)
    mmcv.imwrite(array, str(tmp_path / 'images' / 'cam_000000.png'))
    (tmp_path / ANN_FILE).write_text(
        'filename,label,group_id,source_index,transform\n'
        f'images/cam_000000.png,{class_name},0,12,flip\n')
    init_default_scope('mmpretrain')
    loaded = DATASETS.build(dict(cam_cfg, pipeline=cam_cfg.pipeline[:1]))[0]
    assert loaded['img'].shape == shape
    assert np.array_equal(loaded['img'], array)
    assert loaded['gt_label'] == 1
    # the training pipeline gives the model input of the source arrays
    packed = DATASETS.build(cam_cfg)[0]
    channels = 1 if len(shape) == 2 else shape[2]
    assert tuple(packed['inputs'].shape) == (channels, ) + shape[:2]
    # class names match the source's metainfo (ConcatDataset checks it)
    metainfo = getattr(mmpretrain.datasets, source).METAINFO
    assert tuple(cam_cfg.classes) == metainfo['classes']
    hooks = {h['type']: h for h in cfg.default_hooks.values()}
    assert hooks['DeferredResamplingHook']['switch_epoch'] == 0
    assert cfg.train_dataloader.sampler.type == 'RebalancedSampler'
    if name.startswith('bot-combo'):
        assert 'BatchAugmentOffHook' in hooks
        assert cfg.data_preprocessor.batch_augments.augments[0].alpha == 1.0
        assert cfg.model.head.loss.use_soft


def test_cifar_resnet32_has_an_8x8_cam():
    from mmpretrain.registry import MODELS
    from mmlt.cam.activation_maps import class_activation_maps
    cfg = Config.fromfile(osp.join(
        CAM_CONFIGS, 'drs-cam-stage1_resnet32_1xb128_cifar10-lt-ir100.py'))
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model).eval()
    cams = class_activation_maps(model, torch.randn(2, 3, 32, 32),
                                 torch.tensor([0, 9]))
    assert cams.shape == (2, 8, 8)


@needs_fashion_mnist
@pytest.mark.filterwarnings('ignore::DeprecationWarning')  # MMPretrain's
def test_fashion_mnist_stage2_concat_dataset_builds(tmp_path):
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(osp.join(CAM_CONFIGS, FASHION_STAGE2[0]))
    cfg.merge_from_dict(
        {'train_dataloader.dataset.datasets.1.data_root': str(tmp_path)})
    mmcv.imwrite(np.zeros((28, 28), np.uint8),
                 str(tmp_path / 'images' / 'a.png'))
    (tmp_path / ANN_FILE).write_text(
        'filename,label,group_id\nimages/a.png,Bag,0\n')
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    lt, cam = dataset.datasets
    assert len(dataset) == len(lt) + 1
    assert dataset[len(lt)]['inputs'].shape == lt[0]['inputs'].shape
    assert get_class_counts(dataset, 10)[8] == lt.class_counts[8] + 1
