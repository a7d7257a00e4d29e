"""Real data sets some tests need, and whether they must be there.

Fashion-MNIST is unpacked into ``data/fashion_mnist`` by
``make fashion-mnist`` (``tools/dataset/fetch_fashion_mnist.sh``), which
``.ci/run`` runs before the suite and then sets ``MMLT_REQUIRE_DATA=1``: a
data-backed test then fails when the data is missing instead of skipping,
so CI cannot pass without running it. Elsewhere such a test skips, naming
the command that fetches the data.
"""
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FASHION_MNIST = osp.join(ROOT, 'data', 'fashion_mnist')
REQUIRE_DATA_ENV = 'MMLT_REQUIRE_DATA'


def data_required() -> bool:
    import os
    return os.environ.get(REQUIRE_DATA_ENV) == '1'


def has_fashion_mnist() -> bool:
    return osp.isfile(osp.join(FASHION_MNIST, 'train-images-idx3-ubyte')) \
        and osp.isfile(osp.join(FASHION_MNIST, 'train-labels-idx1-ubyte'))


needs_fashion_mnist = pytest.mark.skipif(
    not has_fashion_mnist() and not data_required(),
    reason='needs Fashion-MNIST in data/fashion_mnist (make fashion-mnist)')
