"""Test-only hook: each rank saves, after training, its model weights, the
SWAHook's averaged model and the local first-pass gradient norms that
SAMOptimWrapper logged."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class SamSwaProbeHook(Hook):

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        swa = next(h for h in runner.hooks if type(h).__name__ == 'SWAHook')
        norms = runner.message_hub.get_scalar('train/sam_grad_norm').data[0]
        torch.save(
            dict(state={k: v.detach().cpu()
                        for k, v in model.state_dict().items()},
                 swa={k: v.detach().cpu()
                      for k, v in swa.swa_model.state_dict().items()},
                 sam_grad_norms=torch.as_tensor(norms),
                 iter=runner.iter),
            osp.join(runner.work_dir, f'rank{get_rank()}_probe.pth'))
