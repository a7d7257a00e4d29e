"""A tiny stand-in for the Fashion-MNIST-LT protocol configs, shared by the
tests that chain a stage-1 config to its stage 2 (MiSLAS, weight
balancing). Imported as ``two_stage_helpers`` (pytest puts ``tests/`` on
``sys.path``), with the fake data of the ``tiny_fashion_mnist_root``
fixture (tests/conftest.py)."""
from mmengine.config import Config


def tiny_config(path, root, work_dir):
    """The config on the stand-in: a long-tailed draw of 40 .. 4 images
    (159), one epoch of two batches (80 and 79), no validation or test.
    (Not mmengine's ``num_batch_per_epoch``: it keeps the first images of
    the dataset, which leaves the rarest classes out of class-balanced
    sampling.)"""
    cfg = Config.fromfile(path)
    loader = cfg.train_dataloader
    loader.dataset.dataset.data_root = root
    loader.dataset.update(max_count=40, imbalance_ratio=10)
    loader.update(batch_size=80, num_workers=0, persistent_workers=False)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.long_tail_context.plot = False
    cfg.work_dir = str(work_dir)
    return cfg
