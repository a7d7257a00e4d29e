import numpy as np
import pytest

import mmlt  # noqa: F401
from mmlt.datasets.samplers import RebalancedSampler
from mmlt.datasets.samplers import rebalanced_sampler as sampler_module
from mmlt.registry import DATA_SAMPLERS

COUNTS = np.array([500, 200, 50, 10])


class LabelSet:
    """A labelled dataset without images (labels, groups, weights)."""

    def __init__(self, counts=COUNTS, group_of=None, classes=None,
                 weights=None):
        self.labels = np.repeat(np.arange(len(counts)), counts)
        n = len(self.labels)
        self.groups = np.zeros(n, np.int64) if group_of is None else \
            group_of(np.arange(n), self.labels)
        self.weights = weights
        self.metainfo = dict(
            classes=classes or tuple(f'c{i}' for i in range(len(counts))))

    def get_gt_labels(self):
        return self.labels

    def get_group_ids(self):
        return self.groups

    def get_data_info(self, i):
        info = dict(gt_label=self.labels[i], group_id=self.groups[i])
        if self.weights is not None:
            info['weight'] = self.weights[i]
        return info

    def __len__(self):
        return len(self.labels)


def draw(dataset, num_samples=200_000, epoch=0, **kwargs):
    sampler = RebalancedSampler(
        dataset, num_samples=num_samples, seed=3, **kwargs)
    sampler.set_epoch(epoch)
    return np.array(list(sampler))


def class_freq(dataset, idx):
    return np.bincount(dataset.labels[idx], minlength=len(COUNTS)) / len(idx)


N = COUNTS / COUNTS.sum()
BALANCED = np.full(4, 0.25)
SQRT = np.sqrt(COUNTS) / np.sqrt(COUNTS).sum()


@pytest.mark.parametrize('kwargs,target', [
    (dict(strategy='instance'), N),
    (dict(strategy='class_balanced'), BALANCED),
    (dict(strategy='sqrt'), SQRT),
    (dict(strategy='power', q=0.25), COUNTS**0.25 / (COUNTS**0.25).sum()),
    (dict(strategy='progressive', num_epochs=10, epoch=3),
     0.7 * N + 0.3 * BALANCED),
    (dict(strategy='dynamic', num_epochs=10, epoch=3),
     0.3 * N + 0.7 * BALANCED),
    (dict(strategy='progressive', num_epochs=10, epoch=25), BALANCED),
])
def test_class_frequencies_converge_to_the_target(kwargs, target):
    dataset = LabelSet()
    freq = class_freq(dataset, draw(dataset, **kwargs))
    np.testing.assert_allclose(freq, target, atol=0.006)
    # a wrong strategy would fail this tolerance
    for other in (N, BALANCED, SQRT):
        if not np.allclose(other, target, atol=0.02):
            assert np.abs(freq - other).max() > 0.006


def test_within_a_class_samples_are_uniform():
    dataset = LabelSet()
    idx = draw(dataset, strategy='class_balanced')
    tail = idx[dataset.labels[idx] == 3]
    hits = np.bincount(tail, minlength=len(dataset))[-10:]
    np.testing.assert_allclose(hits / hits.sum(), 0.1, atol=0.01)


def test_group_weight_combines_with_any_class_strategy():
    # group 1 = every third sample
    dataset = LabelSet(group_of=lambda i, y: (i % 3 == 0).astype(int))
    idx = draw(dataset, strategy='class_balanced', group_weight={1: 2.0})
    # per class: P(c)=1/4 spread over members, group 1 members count twice
    base = np.full(len(dataset), 0.25) / COUNTS[dataset.labels]
    p = base * np.where(dataset.groups == 1, 2.0, 1.0)
    p /= p.sum()
    expected_g1 = p[dataset.groups == 1].sum()
    got_g1 = (dataset.groups[idx] == 1).mean()
    assert got_g1 == pytest.approx(expected_g1, abs=0.006)
    unweighted = (dataset.groups[draw(dataset,
                                      strategy='class_balanced')] == 1).mean()
    assert abs(unweighted - expected_g1) > 0.1
    np.testing.assert_allclose(
        class_freq(dataset, idx),
        [p[dataset.labels == c].sum() for c in range(4)], atol=0.006)


def test_explicit_sample_weights_list_and_annotation_field():
    weights = np.ones(int(COUNTS.sum()))
    weights[:500] = 0.0  # class 0 never drawn
    weights[500:700] = 3.0
    dataset = LabelSet(weights=weights)
    for sample_weight in (weights.tolist(), 'weight'):
        idx = draw(dataset, num_samples=50_000, strategy='instance',
                   sample_weight=sample_weight)
        freq = class_freq(dataset, idx)
        assert freq[0] == 0
        expected = np.array([0, 600, 50, 10]) / 660
        np.testing.assert_allclose(freq, expected, atol=0.01)


def test_without_replacement_draws_each_index_at_most_once():
    dataset = LabelSet()
    idx = draw(dataset, num_samples=300, strategy='class_balanced',
               replacement=False)
    assert len(idx) == 300 and len(set(idx.tolist())) == 300
    with pytest.raises(ValueError, match=r'replacement=False needs '
                       r'num_samples \(1000\) <= samples'):
        RebalancedSampler(dataset, num_samples=1000, replacement=False,
                          sample_weight=[0.0] * 10 + [1.0] * 750, seed=0)


def test_same_seed_and_epoch_same_plan_other_epoch_other_plan():
    dataset = LabelSet()
    a = RebalancedSampler(dataset, seed=5)
    b = RebalancedSampler(dataset, seed=5)
    assert list(a) == list(b)
    b.set_epoch(1)
    assert list(a) != list(b)
    a.set_epoch(1)
    assert list(a) == list(b)
    c = RebalancedSampler(dataset, seed=6)
    assert list(c) != list(RebalancedSampler(dataset, seed=5))


@pytest.mark.parametrize('replacement', [True, False])
@pytest.mark.parametrize('world_size', [2, 3])
def test_rank_shards_are_slices_of_one_global_plan(monkeypatch, world_size,
                                                    replacement):
    dataset = LabelSet()
    shards, plans = [], []
    for rank in range(world_size):
        monkeypatch.setattr(sampler_module, 'get_dist_info',
                            lambda r=rank: (r, world_size))
        sampler = RebalancedSampler(dataset, seed=1, num_samples=301,
                                    replacement=replacement)
        sampler.set_epoch(4)
        shards.append(list(sampler))
        plans.append(sampler.global_plan())
        assert len(sampler) == len(shards[-1])
    for plan in plans[1:]:
        np.testing.assert_array_equal(plan, plans[0])
    lengths = {len(s) for s in shards}
    assert lengths == {-(-301 // world_size)}  # equal on every rank
    interleaved = np.empty(len(plans[0]), np.int64)
    for rank, shard in enumerate(shards):
        interleaved[rank::world_size] = shard
    np.testing.assert_array_equal(interleaved, plans[0])
    if not replacement:  # only padding repeats an index
        distinct = [set(s) for s in shards]
        overlap = set.intersection(*distinct[:2])
        assert len(overlap) <= world_size - 301 % world_size


def test_registry_build_with_runner_default_args():
    sampler = DATA_SAMPLERS.build(
        dict(type='RebalancedSampler', strategy='sqrt'),
        default_args=dict(dataset=LabelSet(), seed=None))
    assert isinstance(sampler.seed, int)
    assert len(sampler) == COUNTS.sum()


def test_progressive_schedule_length_can_come_later():
    sampler = RebalancedSampler(LabelSet(), strategy='progressive', seed=0)
    with pytest.raises(ValueError, match='needs the schedule length'):
        list(sampler)
    sampler.set_num_epochs(4)
    sampler.set_epoch(2)
    idx = np.array(list(sampler))
    assert len(idx) == COUNTS.sum()


def test_set_strategy_validates_and_switches():
    dataset = LabelSet()
    sampler = RebalancedSampler(dataset, strategy='instance', seed=0,
                                num_samples=100_000)
    sampler.set_strategy('class_balanced')
    idx = np.array(list(sampler))
    np.testing.assert_allclose(class_freq(dataset, idx), BALANCED,
                               atol=0.008)
    with pytest.raises(ValueError, match="strategy='uniform'"):
        sampler.set_strategy('uniform')
    assert sampler.strategy == 'class_balanced'


@pytest.mark.parametrize('kwargs,error,message', [
    (dict(strategy='balanced'), ValueError, "strategy='balanced' is not"),
    (dict(strategy='power'), ValueError, 'needs a finite q'),
    (dict(strategy='sqrt', q=0.5), ValueError, 'only used with'),
    (dict(strategy='progressive', num_epochs=0), ValueError,
     'num_epochs .* must be a positive int or None, got 0'),
    (dict(sample_weight=[1.0] * 759 + [-1.0]), ValueError,
     r'sample_weight\[759\]=-1.0'),
    (dict(sample_weight=[0.0] * 760), ValueError, 'all zero'),
    (dict(sample_weight=[1.0] * 3), ValueError, '3 values for 760 samples'),
    (dict(sample_weight='weight'), KeyError, "no annotation field 'weight'"),
    (dict(group_weight={7: 2.0}), ValueError,
     r'group_weight names group 7.*groups present: \[0\]'),
    (dict(group_weight={0: -1.0}), ValueError, r'group_weight\[0\]=-1.0'),
    (dict(group_weight={0: 0.0}), ValueError, 'every group weight 0'),
    (dict(group_weight=[2.0]), TypeError, 'must be a dict'),
    (dict(num_samples=0), ValueError, 'num_samples=0'),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        RebalancedSampler(LabelSet(), seed=0, **kwargs)


def test_zero_count_class_under_class_balanced_is_named():
    dataset = LabelSet(counts=np.array([5, 0, 3]),
                       classes=('cat', 'dog', 'emu'))
    with pytest.raises(ValueError, match=r'1 \(dog\) have no sample'):
        RebalancedSampler(dataset, strategy='class_balanced', seed=0)
    with pytest.raises(ValueError, match=r'1 \(dog\) have no sample'):
        RebalancedSampler(dataset, strategy='progressive', num_epochs=4,
                          seed=0)
    # instance and sqrt simply never draw it
    idx = list(RebalancedSampler(dataset, strategy='sqrt', seed=0))
    assert 1 not in dataset.labels[idx]


def test_works_through_dataset_wrappers():
    from mmengine.dataset import RepeatDataset

    from mmlt.datasets import DigitsLT
    digits = DigitsLT(split='test', test_per_class=40)
    wrapped = RepeatDataset(digits, times=2)
    sampler = RebalancedSampler(wrapped, strategy='class_balanced', seed=0,
                                num_samples=40_000)
    idx = np.array(list(sampler))
    assert idx.max() < 800
    labels = np.tile(digits.get_gt_labels(), 2)
    np.testing.assert_allclose(
        np.bincount(labels[idx], minlength=10) / len(idx), 0.1, atol=0.01)
