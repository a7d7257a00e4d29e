"""LongTailContextHook's class-distribution plot, split by group, on a real
Runner training on the embedded digits (two groups: heavy strokes or not)."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import mmlt  # noqa: F401
import mmlt.visualization
from mmlt.datasets import DigitsLT
from model_helpers import tiny_convnext

pytestmark = pytest.mark.usefixtures('one_thread')

BATCH = 32
BATCHES = 2
PIPELINE = [
    dict(type='Resize', scale=32, interpolation='bilinear'),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]


def _cfg(tmp_path, group_by='ink'):
    """One epoch of two batches; nothing but the hook under test."""
    return Config(
        dict(
            default_scope='mmpretrain',
            work_dir=str(tmp_path),
            experiment_name=f'plot_{tmp_path.name}',
            model=dict(
                type='ImageClassifier',
                data_preprocessor=dict(
                    num_classes=10,
                    mean=[77.85] * 3,
                    std=[95.85] * 3,
                    to_rgb=False),
                backbone=tiny_convnext(),
                head=dict(
                    type='LTLinearClsHead',
                    num_classes=10,
                    in_channels=16,
                    loss=dict(type='CrossEntropyLoss'))),
            train_dataloader=dict(
                batch_size=BATCH,
                num_workers=0,
                num_batch_per_epoch=BATCHES,
                dataset=dict(
                    type='DigitsLT',
                    split='train',
                    test_per_class=40,
                    group_by=group_by,
                    pipeline=PIPELINE),
                sampler=dict(type='DefaultSampler', shuffle=False)),
            train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=10),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
            default_hooks=dict(
                logger=dict(type='LoggerHook', interval=1),
                checkpoint=None),
            custom_hooks=[dict(type='LongTailContextHook')],
            randomness=dict(seed=0)))


@pytest.fixture
def plot_calls(monkeypatch):
    """Arguments of every plot_class_distribution call (the plot is still
    drawn and written)."""
    calls = []
    plot = mmlt.visualization.plot_class_distribution

    def record(counts, class_names, out_file, **kwargs):
        calls.append(dict(counts=np.asarray(counts), names=class_names,
                          out_file=out_file, **kwargs))
        return plot(counts, class_names, out_file, **kwargs)

    monkeypatch.setattr(mmlt.visualization, 'plot_class_distribution',
                        record)
    return calls


def _hand_count(group_by):
    """Class x group counts of the images trained (the Runner keeps the
    first BATCH * BATCHES), read from each sample's annotation."""
    dataset = DigitsLT(split='train', test_per_class=40, group_by=group_by)
    matrix = np.zeros((10, 2), np.int64)
    for i in range(BATCH * BATCHES):
        info = dataset.get_data_info(i)
        matrix[info['gt_label'], info['group_id']] += 1
    return matrix


def test_real_runner_plots_class_distribution_by_group(tmp_path,
                                                        plot_calls):
    Runner.from_cfg(_cfg(tmp_path)).train()
    call, = plot_calls
    expected = _hand_count('ink')
    assert expected[:, 1].sum() > 0 and expected[:, 0].sum() > 0
    np.testing.assert_array_equal(call['group_counts'], expected)
    assert call['group_ids'] == [0, 1]
    np.testing.assert_array_equal(call['counts'], expected.sum(1))
    assert call['out_file'] == osp.join(str(tmp_path),
                                        'class_distribution.png')
    with open(call['out_file'], 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'

    # the figure drawn from these arguments stacks the two groups
    fig = mmlt.visualization.class_distribution_figure(
        call['counts'], call['names'], group_counts=call['group_counts'],
        group_ids=call['group_ids'])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        'group 0', 'group 1'
    ]
    order = np.argsort(-expected.sum(1), kind='stable')
    for j, bars in enumerate(ax.containers):
        assert [p.get_height() for p in bars.patches] == \
            expected[order, j].tolist()


def test_one_group_keeps_the_plain_plot(tmp_path, plot_calls):
    Runner.from_cfg(_cfg(tmp_path, group_by=None)).train()
    call, = plot_calls
    assert 'group_counts' not in call
    assert osp.exists(tmp_path / 'class_distribution.png')
