"""LongTailContext: counted once from a dataset, validated by its
constructor."""
import numpy as np
import pytest

import mmlt  # noqa: F401
from mmlt.datasets import DigitsLT
from mmlt.structures import LongTailContext, hand_over


def test_from_dataset_equals_a_hand_count():
    dataset = DigitsLT(split='train', test_per_class=40, pipeline=[])
    context = LongTailContext.from_dataset(dataset)
    labels = [int(dataset.get_data_info(i)['gt_label'])
              for i in range(len(dataset))]
    groups = [int(dataset.get_data_info(i)['group_id'])
              for i in range(len(dataset))]
    assert context.class_counts.tolist() == np.bincount(
        labels, minlength=10).tolist()
    assert context.group_counts.tolist() == np.bincount(groups).tolist()
    table = np.zeros((10, 2), int)
    np.add.at(table, (labels, groups), 1)
    assert context.class_group_counts.tolist() == table.tolist()
    assert context.class_names == tuple(str(i) for i in range(10))


@pytest.mark.parametrize('kwargs, message', [
    (dict(class_counts=[3, -1]), 'non-negative integers'),
    (dict(class_counts=[3, 1], class_names=('a', )), '1 class names'),
    (dict(class_counts=[3, 1], group_counts=[3, 1],
          class_group_counts=[[2, 1], [0, 1]]), 'does not add up'),
    (dict(class_counts=[3, 1], class_group_counts=[[2, 0], [0, 1]]),
     'does not add up'),
])
def test_bad_contexts_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LongTailContext(**kwargs)


def test_hand_over_once_per_consumer():
    got = []

    class Consumer:

        def set_long_tail_context(self, context):
            got.append(context)

    consumer = Consumer()
    context = LongTailContext([2, 1], class_names=('a', 'b'))
    assert hand_over(context, [consumer, None, object(), consumer]) == 1
    assert got == [context]
    assert context.zero_count_classes() == []
    assert LongTailContext([0, 1], class_names=(
        'a', 'b')).zero_count_classes() == ['0 (a)']
