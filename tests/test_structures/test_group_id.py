"""One group_id contract: one reader of the per-sample field, one parser of
``{group id: weight}``, and group features that stop on data without group
ids instead of treating every sample as group 0."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.datasets.samplers.sampling_probs import check_group_weight
from mmlt.datasets.transforms import ApplyByGroup
from mmlt.evaluation import LongTailMetric
from mmlt.registry import MODELS
from mmlt.structures import (GroupIdError, parse_group_weight,
                             read_group_ids, read_optional_group_ids)
from model_helpers import tiny_convnext

pytestmark = pytest.mark.usefixtures('one_thread')

PACK_FIX = r"PackInputs', algorithm_keys=\['group_id'\]"


def samples(groups):
    out = []
    for i, group in enumerate(groups):
        sample = DataSample().set_gt_label(i % 3)
        if group is not None:
            sample.set_field(group, 'group_id')
        out.append(sample)
    return out


# ------------------------------------------------------------- the reader


def test_reader_takes_ints_numpy_and_one_element_tensors():
    data = samples([1, np.int64(0), torch.tensor(2), torch.tensor([3])])
    assert read_group_ids(data, 'feature') == [1, 0, 2, 3]
    # results dicts and DataSample.to_dict() outputs alike
    assert read_group_ids([s.to_dict() for s in data], 'f') == [1, 0, 2, 3]


@pytest.mark.parametrize('groups, match', [
    ([None, None], 'X needs the group_id of every sample, but no sample of '
     'the batch has a group_id: keep it with dict'),
    ([1, None], r'sample 1 of the batch has no group_id \(1 of its 2 '
     'samples have one\\)'),
    ([1, -1], 'X: sample 1 of the batch: group_id=-1 must be one integer'),
    ([0.5], 'group_id=0.5 must be one integer'),
    ([True], 'group_id=True must be one integer'),
])
def test_reader_refuses_missing_and_bad_group_ids(groups, match):
    with pytest.raises(GroupIdError, match=match):
        read_group_ids(samples(groups), 'X')


def test_optional_reader_is_none_without_groups_and_refuses_a_mix():
    assert read_optional_group_ids(samples([None, None]), 'M') is None
    assert read_optional_group_ids(samples([0, 2]), 'M') == [0, 2]
    with pytest.raises(GroupIdError, match='sample 0 of the batch has no'):
        read_optional_group_ids(samples([None, 2]), 'M')


# ------------------------------------------------------------- the parser


def test_parser_takes_int_and_decimal_string_keys():
    assert parse_group_weight({1: 2, '0': 0.5, np.int64(3): 0}) == {
        1: 2.0, 0: 0.5, 3: 0.0}
    assert parse_group_weight(None) is None


@pytest.mark.parametrize('group_weight, error, match', [
    ({-1: 2.0}, ValueError, 'key -1'),
    ({'-1': 2.0}, ValueError, "key '-1'"),
    ({'a': 2.0}, ValueError, "key 'a'"),
    ({True: 2.0}, ValueError, 'key True'),
    ({1.0: 2.0}, ValueError, 'key 1.0'),
    ({1: 2.0, '1': 3.0}, ValueError, 'group 1 twice'),
    ({1: -0.5}, ValueError, r'group_weight\[1\]=-0.5'),
    ({1: float('inf')}, ValueError, r'group_weight\[1\]=inf'),
    ({1: '2'}, ValueError, r"group_weight\[1\]='2'"),
    ([2.0], TypeError, 'must be a dict'),
])
def test_head_and_sampler_refuse_the_same_forms(group_weight, error, match):
    with pytest.raises(error, match=match):
        MODELS.build(
            dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
                 group_weight=group_weight))
    with pytest.raises(error, match=match):
        check_group_weight(group_weight, [0, 1])


def test_head_and_sampler_accept_cfg_options_string_keys():
    # --cfg-options model.head.group_weight.1=2.0 gives the key '1'
    head = MODELS.build(
        dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
             group_weight={'1': 2.0}))
    assert head.group_weight == {1: 2.0}
    assert check_group_weight({'1': 2.0}, [0, 1]) == {1: 2.0}


def test_sampler_names_the_likely_cause_when_all_data_is_group_0():
    with pytest.raises(ValueError, match='every sample is in group 0: does '
                       'the dataset annotate a group_id'):
        check_group_weight({1: 2.0}, [0])


# --------------------------------------------------------------- features


def test_apply_by_group_refuses_a_sample_without_group_id():
    t = ApplyByGroup(pipelines={1: []}, default=[])
    img = np.zeros((4, 4, 3), np.uint8)
    assert t(dict(img=img, group_id=0))['img'] is img
    with pytest.raises(GroupIdError, match='ApplyByGroup needs the group_id '
                       'of every sample, but the sample has none'):
        t(dict(img=img))


def test_metric_keeps_group_0_without_groups_and_refuses_a_mix():
    def record(group=None):
        sample = {'pred_score': torch.tensor([0.9, 0.1]),
                  'gt_label': torch.tensor([0])}
        if group is not None:
            sample['group_id'] = group
        return sample

    metric = LongTailMetric(topk=1, print_report=False)
    metric.process(None, [record(), record()])
    assert metric.compute_metrics(metric.results)['group0_accuracy'] == 100
    with pytest.raises(GroupIdError, match='LongTailMetric needs the '
                       'group_id of every sample, but sample 1 of the batch '
                       f'has no group_id.*{PACK_FIX}'):
        metric.process(None, [record(1), record()])
    # a batch with group ids, another without: refused as a whole
    metric = LongTailMetric(topk=1, print_report=False)
    metric.process(None, [record(1), record(0)])
    metric.process(None, [record()])
    with pytest.raises(GroupIdError, match='2 of the 3 evaluated samples '
                       'have a group_id and the others not'):
        metric.compute_metrics(metric.results)


# ------------------------------------------------- on a Runner, DigitsLT


def _runner(tmp_path, head, algorithm_keys, sampler=None):
    pipeline = [
        dict(type='Resize', scale=32, interpolation='bilinear'),
        dict(type='PackInputs', algorithm_keys=algorithm_keys),
    ]
    cfg = Config(dict(
        default_scope='mmpretrain',
        work_dir=str(tmp_path),
        experiment_name='group_id_contract',
        model=dict(
            type='ImageClassifier',
            backbone=tiny_convnext(),
            head=head,
            data_preprocessor=dict(
                num_classes=10, mean=[77.85] * 3, std=[95.85] * 3,
                to_rgb=False)),
        train_dataloader=dict(
            batch_size=8,
            num_workers=0,
            persistent_workers=False,
            num_batch_per_epoch=2,
            dataset=dict(type='DigitsLT', split='train', imbalance_ratio=10,
                         test_per_class=40, pipeline=pipeline),
            sampler=sampler or dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           save_last=False, interval=10)),
        randomness=dict(seed=0)))
    return Runner.from_cfg(cfg)


LINEAR = dict(type='LTLinearClsHead', num_classes=10, in_channels=16,
              loss=dict(type='CrossEntropyLoss'))


@pytest.mark.parametrize('head, feature', [
    # ce-group1x2: the key as --cfg-options model.head.group_weight.1=2.0
    (dict(LINEAR, group_weight={'1': 2.0}),
     r'LTLinearClsHead\(group_weight=\{1: 2.0\}\)'),
    (dict(type='GroupMultiTaskHead', head=LINEAR, num_groups=2),
     'GroupMultiTaskHead'),
])
def test_group_heads_stop_when_packinputs_drops_group_id(
        tmp_path, head, feature):
    runner = _runner(tmp_path, head, algorithm_keys=())
    with pytest.raises(GroupIdError, match=f'{feature} needs the group_id of '
                       'every sample, but no sample of the batch has a '
                       f"group_id: keep it with dict\\(type='{PACK_FIX}"):
        runner.train()


def test_group_weight_head_and_sampler_train_with_string_keys(tmp_path):
    sampler = dict(type='RebalancedSampler', strategy='instance',
                   group_weight={'1': 2.0}, seed=0)
    runner = _runner(tmp_path, dict(LINEAR, group_weight={'1': 2.0}),
                     algorithm_keys=['group_id'], sampler=sampler)
    assert runner.train_dataloader.sampler.group_weight == {1: 2.0}
    runner.train()
    assert runner.iter == 2
    assert runner.model.head.group_weight == {1: 2.0}
