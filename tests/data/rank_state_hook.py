"""Test-only hook: each rank saves its model weights after training."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RankStateHook(Hook):

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        torch.save(
            dict(state=state, epoch=runner.epoch, iter=runner.iter),
            osp.join(runner.work_dir, f'rank{get_rank()}_state.pth'))
