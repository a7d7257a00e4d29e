"""Manifold mixup: mixup of hidden features at a chosen backbone stage.

Verma et al., "Manifold Mixup: Better Representations by Interpolating
Hidden States", ICML 2019: for a batch, draw
:math:`\\lambda \\sim \\mathrm{Beta}(\\alpha, \\alpha)` and a permutation
:math:`\\pi`, run the network to layer :math:`k`, continue with

.. math::

    \\tilde h = \\lambda h + (1 - \\lambda) h_{\\pi}, \\qquad
    \\tilde y = \\lambda y + (1 - \\lambda) y_{\\pi},

and train on :math:`(\\tilde h, \\tilde y)`. Bag of Tricks for long-tailed
recognition (Zhang et al., AAAI 2021) mixes at one chosen stage with
:math:`\\alpha = 1` and fine-tunes without mixup at the end (mmlt's
``BatchAugmentOffHook`` switches manifold mixup off too).

The mixed labels are soft ``gt_score`` rows, as MMPretrain's ``Mixup``
makes them (losses with soft targets: ``CrossEntropyLoss``, mmlt's soft
losses; ``gt_score`` of an input batch augment is mixed further).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample
from torch import nn

from mmlt.registry import MODELS

__all__ = [
    'ManifoldMixup', 'ManifoldMixupClassifier', 'mix_batch', 'mixed_scores',
    'stage_names'
]


def mix_batch(x: torch.Tensor, lam: float,
              perm: torch.Tensor) -> torch.Tensor:
    """:math:`\\lambda x + (1 - \\lambda) x_{\\pi}` along the batch axis."""
    return lam * x + (1 - lam) * x[perm]


def mixed_scores(data_samples: Sequence[DataSample], lam: float,
                 perm: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The mixed soft labels ``(N, num_classes)`` of a batch: each sample's
    ``gt_score`` (else its one-hot ``gt_label``) mixed as the features."""
    rows = []
    for s in data_samples:
        if 'gt_score' in s:
            rows.append(s.gt_score.float())
        else:
            rows.append(
                F.one_hot(s.gt_label.reshape(-1)[:1].long(),
                          num_classes).float()[0])
    scores = torch.stack(rows)
    return mix_batch(scores, lam, perm.to(scores.device))


def stage_names(backbone: nn.Module) -> List[str]:
    """The backbone's stages to mix at, as named in error messages: its
    direct children, and the items of a ``ModuleList`` child (ConvNeXt's
    ``stages.0``...). Any module path of the backbone is accepted."""
    names = []
    for name, child in backbone.named_children():
        if isinstance(child, nn.ModuleList):
            names += [f'{name}.{i}' for i in range(len(child))]
        else:
            names.append(name)
    return names


class ManifoldMixup:
    """What to mix and how: :math:`\\alpha` and the candidate stages (one
    drawn uniformly per batch, as Verma et al. draw :math:`k`).

    Draws use torch's global generator (seeded by the Runner's
    ``randomness``), as MMPretrain's Mixup uses NumPy's.

    Args:
        stages: Module path(s) inside the backbone whose output is mixed,
            e.g. ``'layer2'`` (ResNet, ResNetCIFARLT) or ``'stages.1'``
            (ConvNeXt). No default: the stage is the method's choice.
        alpha: Beta(alpha, alpha) of the mixing ratio (Bag of Tricks: 1).
    """

    def __init__(self, stages: Union[str, Sequence[str]],
                 alpha: float = 1.0) -> None:
        if isinstance(stages, str):
            stages = [stages]
        if not isinstance(stages, (list, tuple)) or not stages or not all(
                isinstance(s, str) for s in stages):
            raise TypeError(f'stages={stages!r} must be a stage name or a '
                            'non-empty list of them')
        if isinstance(alpha, bool) or not isinstance(
                alpha, (int, float)) or not alpha > 0:
            raise ValueError(f'alpha={alpha!r} must be a positive number '
                             '(Bag of Tricks: 1.0)')
        self.stages = list(stages)
        self.alpha = float(alpha)

    def draw(self, batch_size: int,
             device: torch.device) -> Tuple[str, float, torch.Tensor]:
        """A stage, :math:`\\lambda` and a permutation for one batch."""
        i = int(torch.randint(len(self.stages), ()))
        a = torch.tensor(self.alpha)
        lam = float(torch.distributions.Beta(a, a).sample())
        return self.stages[i], lam, torch.randperm(batch_size).to(device)

    def __repr__(self) -> str:
        return f'ManifoldMixup(stages={self.stages}, alpha={self.alpha})'


@MODELS.register_module()
class ManifoldMixupClassifier(ImageClassifier):
    """MMPretrain's ``ImageClassifier`` with manifold mixup in its training
    loss (Verma et al., ICML 2019).

    In ``loss`` (training mode only) a forward hook on the drawn backbone
    stage replaces the stage's output with the mixed batch, once per
    forward, and the labels become the mixed soft ``gt_score``; the data
    samples given are not modified (SAM's second pass re-runs them).
    Prediction, ``mode='tensor'`` (features, BatchNorm recompute) and eval
    mode are plain ``ImageClassifier``. Setting ``manifold_mixup`` to None
    switches it off (``BatchAugmentOffHook`` does for the last epochs).

    The stage must run outside any activation-checkpointed region
    (``with_cp`` checkpoints inside blocks, so stages and blocks are fine).

    Config::

        model = dict(type='ManifoldMixupClassifier',
                     manifold_mixup=dict(stages='layer2', alpha=1.0), ...)

    Args:
        manifold_mixup: ``stages`` and ``alpha`` of :class:`ManifoldMixup`.
        **kwargs: The arguments of ``ImageClassifier``.
    """

    def __init__(self, manifold_mixup: Dict, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(manifold_mixup, dict):
            raise TypeError(f'manifold_mixup={manifold_mixup!r} must be a '
                            "dict like dict(stages='layer2', alpha=1.0)")
        mixup = ManifoldMixup(**manifold_mixup)
        modules = dict(self.backbone.named_modules())
        for stage in mixup.stages:
            if stage not in modules or not stage:
                raise ValueError(
                    f'manifold_mixup stage {stage!r} is not a module of '
                    f'{type(self.backbone).__name__}; its stages: '
                    f'{stage_names(self.backbone)}')
        num_classes = getattr(self.head, 'num_classes', None)
        if not isinstance(num_classes, int):
            raise ValueError(
                f'manifold mixup needs a head with num_classes, got '
                f'{type(self.head).__name__}')
        self.manifold_mixup: Optional[ManifoldMixup] = mixup

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        mixup = self.manifold_mixup
        if mixup is None or not self.training:
            return super().loss(inputs, data_samples)
        stage, lam, perm = mixup.draw(inputs.size(0), inputs.device)
        module = self.backbone.get_submodule(stage)
        mixed: List[bool] = []

        def mix_output(mod, args, output):
            if mixed:
                return None
            if not isinstance(output, torch.Tensor):
                raise TypeError(
                    f'manifold mixup stage {stage!r} returns '
                    f'{type(output).__name__}, not a tensor; choose one of '
                    f'{stage_names(self.backbone)} that returns a tensor')
            mixed.append(True)
            return mix_batch(output, lam, perm)

        handle = module.register_forward_hook(mix_output)
        try:
            feats = self.extract_feat(inputs)
        finally:
            handle.remove()
        if not mixed:
            raise RuntimeError(
                f'manifold mixup stage {stage!r} was not run by the forward '
                f'of {type(self.backbone).__name__}')
        scores = mixed_scores(data_samples, lam, perm, self.head.num_classes)
        samples = []
        for sample, score in zip(data_samples, scores):
            sample = sample.clone()
            sample.set_gt_score(score)
            samples.append(sample)
        return self.head.loss(feats, samples)
