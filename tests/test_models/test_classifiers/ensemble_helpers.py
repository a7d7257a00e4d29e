"""Small classifiers, batches and checkpoints for the ensemble tests."""
import copy
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DEMO = osp.join(ROOT, 'configs', 'lt', 'convnext_focal.py')


def classifier(mean: float = 0., std: float = 1.,
               num_classes: int = 10) -> dict:
    """ConvNeXt-atto classifier dict with its own normalisation."""
    return dict(
        type='ImageClassifier',
        backbone=dict(type='ConvNeXt', arch='atto', drop_path_rate=0.),
        head=dict(
            type='LinearClsHead', num_classes=num_classes, in_channels=320),
        data_preprocessor=dict(
            num_classes=num_classes,
            mean=[mean] * 3,
            std=[std] * 3,
            to_rgb=False))


def batch(group_ids: Sequence[Optional[int]], seed: int = 0) -> dict:
    """A pseudo-collated batch of random uint8 images, one per group id."""
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i, group in enumerate(group_ids):
        inputs.append(
            torch.randint(0, 256, (3, 32, 32), generator=gen).to(torch.uint8))
        sample = DataSample().set_gt_label(i % 10)
        if group is not None:
            sample.set_field(group, 'group_id')
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def scores_of(outputs: List[DataSample]) -> torch.Tensor:
    return torch.stack([out.pred_score for out in outputs])


def set_constant_scores(model: torch.nn.Module,
                        logits: Sequence[float]) -> torch.Tensor:
    """Make ``model`` predict softmax(logits) for every image; return it."""
    with torch.no_grad():
        model.head.fc.weight.zero_()
        model.head.fc.bias.copy_(torch.tensor(logits))
    return torch.softmax(torch.tensor(logits), dim=0)


def standalone_scores(model_cfg: dict, state_dict: dict,
                      data: dict) -> torch.Tensor:
    """Scores of a separately built classifier with these weights."""
    model = MODELS.build(copy.deepcopy(model_cfg)).eval()
    model.load_state_dict(state_dict)
    with torch.no_grad():
        return scores_of(model.test_step(copy.deepcopy(data)))


def save_mmengine_checkpoint(model: torch.nn.Module, path: str) -> str:
    """A checkpoint laid out as mmengine's Runner saves it, with the message
    hub's HistoryBuffers and numpy values."""
    hub = MessageHub.get_instance('mmlt_ensemble_test_checkpoint')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', np.float64(1e-3))
    torch.save(
        dict(
            meta=dict(epoch=1, iter=2, seed=np.int64(0)),
            state_dict=model.state_dict(),
            message_hub=hub.state_dict(),
            optimizer=dict(state={}, param_groups=[])), path)
    return path
