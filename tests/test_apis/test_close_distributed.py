import os

import torch.distributed as dist

from mmlt.apis import close_distributed


def test_close_distributed_destroys_the_group_once(tmp_path, monkeypatch):
    assert close_distributed() is False  # nothing initialised: a no-op
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(29000 + os.getpid() % 1000))
    dist.init_process_group('gloo', rank=0, world_size=1)
    assert dist.is_initialized()
    assert close_distributed() is True
    assert not dist.is_initialized()
    assert close_distributed() is False
