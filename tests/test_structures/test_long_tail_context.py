"""LongTailContext: validated by its constructor, handed over once per
consumer (the counting from a dataset is tested with the datasets)."""
import pytest

import mmlt  # noqa: F401
from mmlt.structures import LongTailContext, hand_over


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
