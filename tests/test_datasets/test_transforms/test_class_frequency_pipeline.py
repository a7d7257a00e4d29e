"""ApplyByClassFrequency: tail classes get the strong pipeline; the counts
come from the training set's long-tail context (handed over by
LongTailContextHook) or the config, never from a guess."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.runner import set_random_seed

import mmlt  # noqa: F401
from mmlt.datasets import (DigitsLT, LongTailDataset,
                           long_tail_context_from_dataset)
from mmlt.datasets.transforms import ApplyByClassFrequency, ApplyByGroup
from mmlt.engine.hooks import LongTailContextHook
from mmlt.registry import TRANSFORMS
from mmlt.structures import LongTailContext, hand_over


def _hand_over(dataset) -> int:
    """What LongTailContextHook does when training starts: count the
    training set once, hand the context to its pipelines' transforms."""
    transforms = LongTailContextHook._transforms_of(
        SimpleNamespace(dataset=dataset))
    return hand_over(long_tail_context_from_dataset(dataset), transforms)

TO_16 = [dict(type='Resize', scale=(16, 16))]
TO_8 = [dict(type='Resize', scale=(8, 8))]
RESIZE_32 = dict(type='Resize', scale=32, interpolation='bilinear')


def _sample(label):
    return dict(img=np.zeros((32, 32, 3), np.uint8), gt_label=label)


def _side(results):
    return results['img'].shape[0]


def test_classes_below_the_threshold_get_the_tail_pipeline():
    t = TRANSFORMS.build(
        dict(type='ApplyByClassFrequency', tail_pipeline=TO_16,
             default=TO_8, class_counts=[100, 20, 19, 0]))
    # OLTR's few-shot rule: fewer than 20 images (20 itself is not tail)
    assert t.count_threshold == 20
    assert t.tail_classes == {2, 3}
    assert [_side(t(_sample(c))) for c in range(4)] == [8, 8, 16, 16]
    assert _side(t(_sample(np.int64(2)))) == 16


def test_threshold_and_explicit_tail_classes():
    t = ApplyByClassFrequency(TO_16, class_counts=[500, 50, 10],
                              count_threshold=60)
    assert t.tail_classes == {1, 2}
    # default None: head samples unchanged
    assert _side(t(_sample(0))) == 32
    t = ApplyByClassFrequency(TO_16, tail_classes=[0, 5])
    assert _side(t(_sample(5))) == 16 and _side(t(_sample(3))) == 32


def test_without_counts_the_first_sample_says_how_to_give_them():
    t = ApplyByClassFrequency(TO_16)
    with pytest.raises(RuntimeError, match='class_counts=.*tail_classes='):
        t(_sample(0))


def test_labels_outside_the_classes_are_named():
    t = ApplyByClassFrequency(TO_16, class_counts=[5, 50])
    with pytest.raises(ValueError, match='gt_label 2 .*classes: 2'):
        t(_sample(2))
    with pytest.raises(ValueError, match='gt_label -1'):
        t(_sample(-1))
    with pytest.raises(ValueError, match='one class index'):
        t(dict(img=np.zeros((4, 4, 3)), gt_label=[0, 1]))
    with pytest.raises(KeyError, match='gt_label'):
        t(dict(img=np.zeros((4, 4, 3))))


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(class_counts=[1, 2], tail_classes=[0]), ValueError, 'not both'),
    (dict(class_counts=[3, -1]), ValueError, r'\[3, -1\]'),
    (dict(class_counts=[1.5, 2]), ValueError, 'non-negative integers'),
    (dict(class_counts=[]), ValueError, 'non-empty'),
    (dict(tail_classes=[1, -2]), ValueError, 'tail_classes has -2'),
    (dict(tail_classes='cat'), TypeError, "'cat'"),
    (dict(count_threshold=0), ValueError, 'count_threshold=0'),
    (dict(count_threshold=True), ValueError, 'count_threshold=True'),
    (dict(default=dict(type='Resize')), TypeError, 'default must be a list'),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        ApplyByClassFrequency(TO_16, **kwargs)


def test_bind_finds_nested_transforms_and_explicit_counts_win():
    inner = ApplyByClassFrequency(TO_16)
    explicit = ApplyByClassFrequency(TO_16, class_counts=[1, 100, 100])
    pipeline = Compose([
        RESIZE_32,
        ApplyByGroup(pipelines={1: [inner]}, default=[]),
        TRANSFORMS.build(dict(type='RandomApply', transforms=[explicit],
                              prob=0.5)),
    ])
    context = LongTailContext([100, 5, 100])
    transforms = LongTailContextHook._transforms_of(
        SimpleNamespace(dataset=SimpleNamespace(pipeline=pipeline)))
    assert hand_over(context, transforms) == 2  # nested ones reached
    assert inner.tail_classes == {1}
    assert explicit.tail_classes == {0}  # explicit counts win
    assert hand_over(context, LongTailContextHook._transforms_of(
        SimpleNamespace(dataset=SimpleNamespace(
            pipeline=Compose([RESIZE_32]))))) == 0


def _digits(pipeline, **kwargs):
    kwargs.setdefault('split', 'train')
    kwargs.setdefault('imbalance_ratio', 10)
    return DigitsLT(test_per_class=40, pipeline=pipeline, **kwargs)


def test_the_training_counts_are_handed_over():
    dataset = _digits([
        RESIZE_32,
        dict(type='ApplyByClassFrequency', tail_pipeline=TO_16),
    ])
    t = dataset.pipeline.transforms[1]
    with pytest.raises(RuntimeError, match='LongTailContextHook'):
        dataset[0]  # no counts before the hand-over, no guess
    assert _hand_over(dataset) == 1
    np.testing.assert_array_equal(t.class_counts, dataset.class_counts)
    expected_tail = set(np.flatnonzero(dataset.class_counts < 20).tolist())
    assert expected_tail and t.tail_classes == expected_tail
    labels = dataset.get_gt_labels()
    for c in (0, max(expected_tail)):
        out = dataset[int(np.flatnonzero(labels == c)[0])]
        assert _side(out) == (16 if c in expected_tail else 32)


def test_a_test_split_hands_over_nothing():
    dataset = _digits([
        RESIZE_32,
        dict(type='ApplyByClassFrequency', tail_pipeline=TO_16),
    ], split='test')
    assert dataset.pipeline.transforms[1].class_counts is None


def test_long_tail_wrapper_hands_over_the_long_tailed_counts():
    # a balanced source (IR 1) made long-tailed by the wrapper (IR 10): the
    # wrapper's counts replace the source's
    dataset = LongTailDataset(
        dataset=_digits([
            RESIZE_32,
            dict(type='ApplyByClassFrequency', tail_pipeline=TO_16,
                 count_threshold=50),
        ], imbalance_ratio=1),
        imbalance_ratio=10)
    assert _hand_over(dataset) == 1
    t = dataset.dataset.pipeline.transforms[1]
    assert len(set(dataset.dataset.class_counts)) == 1
    np.testing.assert_array_equal(t.class_counts, dataset.class_counts)
    assert t.tail_classes == set(
        np.flatnonzero(dataset.class_counts < 50).tolist())


def test_same_seed_same_augmentation_other_seed_other():
    dataset = _digits([
        RESIZE_32,
        dict(type='ApplyByClassFrequency',
             tail_pipeline=[
                 dict(type='RandomCrop', crop_size=32, padding=4),
                 dict(type='Rotate', magnitude_range=(0, 15), pad_val=0),
             ]),
    ])
    _hand_over(dataset)
    tail = dataset.pipeline.transforms[1].tail_classes
    labels = dataset.get_gt_labels()
    picks = [int(i) for c in range(10)
             for i in np.flatnonzero(labels == c)[:3]]

    def run(seed):
        set_random_seed(seed)  # what the Runner does in each process
        return torch.stack([
            torch.from_numpy(dataset[i]['img'].copy()) for i in picks])

    a, b, c = run(0), run(0), run(1)
    assert torch.equal(a, b)
    is_tail = torch.tensor([labels[i] in tail for i in picks])
    assert is_tail.any() and (~is_tail).any()
    assert torch.equal(a[~is_tail], c[~is_tail])
    assert not torch.equal(a[is_tail], c[is_tail])


def test_runner_hands_the_counts_to_the_training_pipeline(tmp_path):
    """On a real Runner, LongTailContextHook's before_train gives the
    training pipeline (inside a KFold-style subset) the counts of the set
    it trains on."""
    import os.path as osp
    from mmengine.config import Config
    from mmengine.runner import Runner
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'lt',
                                   'convnext_focal.py'))
    cfg.work_dir = str(tmp_path)
    cfg.default_hooks.long_tail_context.plot = False
    cfg.train_dataloader.dataset.pipeline = [
        RESIZE_32, dict(type='ApplyByClassFrequency', tail_pipeline=TO_16),
        dict(type='PackInputs', algorithm_keys=['group_id'])]
    cfg.train_dataloader.dataset.indices = 100
    runner = Runner.from_cfg(cfg)
    hook = next(h for h in runner.hooks
                if isinstance(h, LongTailContextHook))
    hook.before_train(runner)
    dataset = runner.train_dataloader.dataset
    t = dataset.pipeline.transforms[1]
    np.testing.assert_array_equal(t.class_counts, dataset.class_counts)
    assert t.class_counts.sum() == 100
    np.testing.assert_array_equal(hook.context.class_counts,
                                  dataset.class_counts)
    np.testing.assert_array_equal(
        runner.model.head.class_counts.numpy(), dataset.class_counts)
