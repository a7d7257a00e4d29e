"""long_tail_context_from_dataset: the training set counted once into a
LongTailContext."""
import numpy as np

import mmlt  # noqa: F401
from mmlt.datasets import DigitsLT, long_tail_context_from_dataset


def test_from_dataset_equals_a_hand_count():
    dataset = DigitsLT(split='train', test_per_class=40, pipeline=[])
    context = long_tail_context_from_dataset(dataset)
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
