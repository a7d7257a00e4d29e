"""Test-only hook: each rank saves the indices its sampler draws."""
import os.path as osp

import numpy as np
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RankIndicesHook(Hook):

    def __init__(self, epochs: int = 20) -> None:
        self.epochs = epochs

    def before_train(self, runner) -> None:
        sampler = runner.train_dataloader.sampler
        start = sampler.epoch
        drawn = []
        for epoch in range(self.epochs):
            sampler.set_epoch(epoch)
            drawn.append(list(sampler))
        sampler.set_epoch(start)
        np.save(
            osp.join(runner.work_dir, f'rank{get_rank()}_indices.npy'),
            np.array(drawn))
