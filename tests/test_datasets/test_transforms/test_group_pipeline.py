"""ApplyByGroup: the pipeline of the sample's group, seeded like the rest."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, set_random_seed

import mmlt  # noqa: F401
from mmlt.datasets import DigitsLT
from mmlt.datasets.transforms import ApplyByGroup, iter_transforms
from mmlt.registry import TRANSFORMS
from mmlt.structures import GroupIdError
from model_helpers import tiny_convnext

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
PLAN3 = osp.join(ROOT, 'configs', 'losses',
                 'focal-group1-strongaug_convnext-atto_2xb32_digits-lt.py')

# a resize to a size of its own marks which pipeline ran
TO_16 = [dict(type='Resize', scale=(16, 16))]
TO_12 = [dict(type='Resize', scale=(12, 12))]
TO_8 = [dict(type='Resize', scale=(8, 8))]


def _sample(group=None, **extra):
    results = dict(img=np.zeros((32, 32, 3), np.uint8), gt_label=0, **extra)
    if group is not None:
        results['group_id'] = group
    return results


def _side(results):
    return results['img'].shape[0]


def test_each_group_gets_its_pipeline():
    t = TRANSFORMS.build(
        dict(type='ApplyByGroup', pipelines={0: TO_8, 1: TO_16}))
    assert _side(t(_sample(0))) == 8
    assert _side(t(_sample(1))) == 16
    # numpy / torch scalars (annotations read from arrays) work too
    assert _side(t(_sample(np.int64(1)))) == 16
    assert _side(t(_sample(torch.tensor(1)))) == 16


def test_default_covers_unlisted_groups_but_not_a_missing_group_id():
    t = ApplyByGroup(pipelines={1: TO_16}, default=TO_12)
    assert _side(t(_sample(0))) == 12
    assert _side(t(_sample(7))) == 12
    # a sample without group_id is not silently given the default pipeline
    with pytest.raises(GroupIdError, match='ApplyByGroup needs the group_id '
                       'of every sample.*group_id column'):
        t(_sample())
    # default=[]: the other groups are left unchanged
    t = ApplyByGroup(pipelines={1: TO_16}, default=[])
    assert _side(t(_sample(0))) == 32


def test_unlisted_group_without_default_is_an_error_naming_it():
    t = ApplyByGroup(pipelines={0: TO_8, 1: TO_16})
    with pytest.raises(ValueError, match=r'group_id 3 .*\[0, 1\]'):
        t(_sample(3))
    with pytest.raises(ValueError, match='a.png'):
        t(_sample(3, img_path='a.png'))
    with pytest.raises(ValueError, match='the sample has none'):
        t(_sample())
    with pytest.raises(ValueError, match='group_id=-1 must be one integer'):
        t(_sample(-1))


def test_string_group_ids_from_cfg_options():
    t = ApplyByGroup(pipelines={'1': TO_16, '0': TO_8})
    assert sorted(t.pipelines) == [0, 1]


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(pipelines={-1: TO_8}), ValueError, 'key -1 must be an integer'),
    (dict(pipelines={'a': TO_8}), ValueError, "key 'a'"),
    (dict(pipelines={1.5: TO_8}), ValueError, 'key 1.5'),
    (dict(pipelines={1: TO_8, '1': TO_8}), ValueError, 'group 1 twice'),
    (dict(pipelines={}), ValueError, 'at least one group'),
    (dict(pipelines=[TO_8]), TypeError, 'pipelines must be a dict'),
    (dict(pipelines={1: dict(type='Resize', scale=8)}), TypeError,
     r'pipelines\[1\] must be a list'),
    (dict(pipelines={1: None}), TypeError, r'pipelines\[1\] is None'),
    (dict(pipelines={1: [3]}), TypeError, r'pipelines\[1\]\[0\]'),
    (dict(pipelines={1: TO_8}, default='flip'), TypeError,
     "default must be a list.*'flip'"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        ApplyByGroup(**kwargs)


def test_unknown_transform_type_fails_when_built():
    with pytest.raises(KeyError, match='NoSuchTransform'):
        ApplyByGroup(pipelines={1: [dict(type='NoSuchTransform')]})


def test_sub_pipelines_are_visible_to_pipeline_walkers():
    t = ApplyByGroup(pipelines={1: TO_16}, default=TO_8)
    sizes = {x.scale for x in iter_transforms(t) if hasattr(x, 'scale')}
    assert sizes == {(16, 16), (8, 8)}


def _digits(pipeline, **kwargs):
    return DigitsLT(split='train', imbalance_ratio=10, test_per_class=40,
                    pipeline=pipeline, **kwargs)


def test_on_digits_only_group_1_is_augmented():
    resize = dict(type='Resize', scale=32, interpolation='bilinear')
    plain = _digits([resize])
    strong = _digits([
        resize,
        dict(type='ApplyByGroup', pipelines={1: TO_16}, default=[])
    ])
    groups = strong.get_group_ids()
    assert set(groups) == {0, 1}
    for i in [int(np.flatnonzero(groups == g)[0]) for g in (0, 1)]:
        out = strong[i]
        if groups[i] == 1:
            assert _side(out) == 16
        else:
            np.testing.assert_array_equal(out['img'], plain[i]['img'])


# ---------------------------------------------------------- reproducibility
RANDOM_GROUP1 = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='Rotate', magnitude_range=(0, 15), prob=0.5, pad_val=0),
]


def _augmented_epoch(seed, num_workers):
    """Images of one epoch, loaded as the Runner loads them (its seeding:
    set_random_seed in the main process, mmengine's worker_init_fn with
    seed + worker id in each worker)."""
    set_random_seed(seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loader = _build_loader(seed, num_workers)
    images, groups = [], []
    for batch in loader:
        images += batch['inputs']
        groups += [int(s.group_id) for s in batch['data_samples']]
    return torch.stack(images), torch.tensor(groups)


def _build_loader(seed, num_workers):
    return Runner.build_dataloader(
        dict(
            batch_size=64,
            num_workers=num_workers,
            num_batch_per_epoch=3,
            # no shuffling: only the augmentation can differ between runs
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(
                type='DigitsLT',
                split='train',
                imbalance_ratio=10,
                test_per_class=40,
                pipeline=[
                    dict(type='Resize', scale=32, interpolation='bilinear'),
                    dict(
                        type='ApplyByGroup',
                        pipelines={1: RANDOM_GROUP1},
                        default=[]),
                    dict(type='PackInputs', algorithm_keys=['group_id']),
                ])),
        seed=seed)


@pytest.mark.parametrize('num_workers', [0, 1])
def test_same_seed_same_augmentation_other_seed_other(num_workers):
    a, groups = _augmented_epoch(0, num_workers)
    b, _ = _augmented_epoch(0, num_workers)
    c, _ = _augmented_epoch(1, num_workers)
    assert torch.equal(a, b)
    g1 = groups == 1
    assert g1.any() and (~g1).any()
    # group 0 is not augmented; group 1 is, differently under another seed
    assert torch.equal(a[~g1], c[~g1])
    assert not torch.equal(a[g1], c[g1])


# ---------------------------------------------------------------- a real run


def test_plan3_config_trains_on_a_runner(tmp_path, one_thread):
    cfg = Config.fromfile(PLAN3)
    strong = cfg.train_dataloader.dataset.pipeline[1]
    assert strong.type == 'ApplyByGroup' and list(strong.pipelines) == [1]
    assert cfg.model.head.loss.type == 'SoftmaxFocalLoss'
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = 'plan3_smoke'
    # a two-stage ConvNeXt (8 and 16 channels): the data and loss path, not
    # the model, is under test
    cfg.model.backbone = tiny_convnext()
    cfg.model.head.in_channels = 16
    cfg.default_hooks.long_tail_context.plot = False
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1)
    cfg.train_dataloader.num_batch_per_epoch = 4
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 4
    assert osp.exists(tmp_path / 'epoch_1.pth')
    params = torch.cat([p.detach().flatten()
                        for p in runner.model.parameters()])
    assert torch.isfinite(params).all()
