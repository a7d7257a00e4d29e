"""Model pieces the tests share (imported as ``model_helpers``: pytest puts
``tests/`` on ``sys.path`` since it has no ``__init__.py``)."""


def tiny_convnext(out_indices=(1, )) -> dict:
    """A two-stage ConvNeXt with 8 and 16 channels, for Runner tests where
    the data, loss, hooks or head, not the model, are under test."""
    return dict(
        type='ConvNeXt',
        arch=dict(depths=[1, 1], channels=[8, 16]),
        out_indices=out_indices,
        drop_path_rate=0.0)


# ---------------------------------------------------------------------------
# A toy model, data and a log recorder for Runner tests of checkpoint and
# resume mechanics (where no classifier is needed).
import logging  # noqa: E402

import torch  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import Dataset  # noqa: E402


class ToyModel(BaseModel):
    """One linear layer on 4 features, 2 classes."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.fc(torch.stack(inputs) if isinstance(inputs, list)
                      else inputs)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(out, labels))
        return out


class ToyDataset(Dataset):
    """8 fixed random samples for :class:`ToyModel`."""

    def __init__(self):
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(8, 4, generator=gen)
        self.y = torch.randint(0, 2, (8, ), generator=gen)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], labels=self.y[i])


class LogRecords(logging.Handler):
    """Collects ``(level, message)`` of every record it handles."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append((record.levelno, record.getMessage()))

    def at(self, level):
        return [m for lv, m in self.records if lv == level]


def toy_runner(work_dir, name, max_epochs, *, optimizer=None,
               default_hooks=None, **kwargs):
    """An MMEngine Runner that trains :class:`ToyModel` on
    :class:`ToyDataset` (batch 4, SGD lr 0.1, seed 0) and saves a
    checkpoint every epoch; ``default_hooks`` are merged over that
    ``checkpoint`` hook, ``kwargs`` go to the Runner (``resume``,
    ``param_scheduler``, ``custom_hooks``, ``load_from``...)."""
    from mmengine.runner import Runner
    hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
    hooks.update(default_hooks or {})
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(
            optimizer=optimizer or dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=hooks,
        randomness=dict(seed=0),
        **kwargs)


def train_logged(runner, records_cls=None):
    """``runner.train()`` with a :class:`LogRecords` (or ``records_cls``, a
    subclass) on its logger; the records (the handler is removed
    afterwards, also on an error)."""
    records = (records_cls or LogRecords)()
    runner.logger.addHandler(records)
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(records)
    return records
