"""Test-only hook for k-fold runs (work dirs named ``fold_<k>``).

- Before training, the head's bias of class ``k % C`` is set to 10, so every
  prediction of fold ``k``'s model is recognisably class ``k % C``.
- After every training iteration, the rank, epoch and ``ori_index`` of each
  training sample are appended to ``seen_rank<r>.jsonl`` in the work dir.
- After a training epoch (once the checkpoint is saved), a file
  ``interrupt_fold_<k>`` next to the fold's work dir is removed and training
  stops with ``RuntimeError('interrupted')``, as a killed run would.
"""
import json
import os
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


def _fold(runner) -> int:
    return int(osp.basename(osp.normpath(runner.work_dir)).split('_')[-1])


@HOOKS.register_module()
class KFoldProbeHook(Hook):

    priority = 'LOWEST'  # after CheckpointHook

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        bias = model.head.fc.bias
        with torch.no_grad():
            bias[_fold(runner) % bias.numel()] = 10.0

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        seen = [int(s.ori_index) for s in data_batch['data_samples']]
        path = osp.join(runner.work_dir, f'seen_rank{get_rank()}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(dict(epoch=runner.epoch, seen=seen)) + '\n')

    def after_train_epoch(self, runner) -> None:
        flag = osp.join(osp.dirname(osp.normpath(runner.work_dir)),
                        f'interrupt_fold_{_fold(runner)}')
        if osp.exists(flag) and get_rank() == 0:
            os.remove(flag)
            raise RuntimeError('interrupted')
