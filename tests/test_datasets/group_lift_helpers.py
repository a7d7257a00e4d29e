"""A stand-in for Fashion-MNIST's idx files, large enough for the
protocol's splits (1,000 long-tailed + 100 held-out images in the head
class), so the group-lift generator is tested without the real data."""
import os.path as osp

import numpy as np

from mmlt.datasets.group_lift import IDX_FILES


def _write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b''.join(
        int(n).to_bytes(4, 'big') for n in array.shape)
    with open(path, 'wb') as f:
        f.write(header + array.tobytes())


def write_fake_fashion_mnist(root, train_per_class=1100, test_per_class=3,
                             seed=0):
    """Random 28x28 images whose mean brightness tells the class, in the
    four idx files under ``root``; returns the arrays written."""
    rng = np.random.RandomState(seed)
    out = {}
    for split, per_class in (('train', train_per_class),
                             ('test', test_per_class)):
        labels = np.tile(np.arange(10), per_class)
        images = rng.randint(0, 40, (labels.size, 28, 28))
        images[:, 8:20, 8:20] += 20 * labels[:, None, None]
        out[f'{split}_images'] = images.astype(np.uint8)
        out[f'{split}_labels'] = labels.astype(np.uint8)
    for key, name in IDX_FILES.items():
        _write_idx(osp.join(str(root), name), out[key])
    return out
