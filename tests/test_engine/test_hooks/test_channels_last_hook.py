"""ChannelsLastHook: the model's 4-D weights become channels-last before
the run, the network computes the same outputs, and a wrapped (distributed)
model is left alone with a WARNING."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.model import MMDistributedDataParallel
from model_helpers import LogRecords
from torch import nn

from mmlt.engine.hooks import ChannelsLastHook
from mmlt.registry import HOOKS

pytestmark = pytest.mark.usefixtures('one_thread')


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8),
                         nn.ReLU(), nn.Conv2d(8, 8, 3, groups=8),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(8, 2))


def _runner(model):
    logger = logging.getLogger(f'channels_last_{id(model)}')
    records = LogRecords()
    logger.addHandler(records)
    return SimpleNamespace(model=model, logger=logger), records


def test_weights_become_channels_last_and_outputs_stay():
    model, reference = _net(), _net()
    param = model[0].weight
    runner, _ = _runner(model)
    HOOKS.build(dict(type='ChannelsLastHook')).before_run(runner)
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not model[0].weight.is_contiguous()
    # the same Parameter objects (an optimizer built before keeps them)
    assert model[0].weight is param
    x = torch.randn(4, 3, 12, 10)
    torch.testing.assert_close(model(x), reference(x), rtol=1e-5, atol=1e-5)
    # a state dict saved channels-last loads into a default-layout model
    reference.load_state_dict(model.state_dict())


def test_a_wrapped_model_is_left_alone_with_a_warning():
    model = _net()
    wrapped = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    nn.Module.__init__(wrapped)
    wrapped.module = model
    runner, records = _runner(wrapped)
    ChannelsLastHook().before_run(runner)
    assert model[0].weight.is_contiguous()
    [message] = records.at(logging.WARNING)
    assert 'MMDistributedDataParallel' in message
    assert 'default_hooks.channels_last=None' in message
