"""Average the class scores of several trained classifiers (k-fold models,
seeds, different losses) at test time."""
from collections.abc import Mapping
from typing import Any, List, Optional, Sequence

import torch
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from .base_ensemble import BaseEnsemble

__all__ = ['ScoreEnsemble']


@MODELS.register_module()
class ScoreEnsemble(BaseEnsemble):
    """The weighted mean of the members' predicted class probabilities.

    .. math::
        p(c \\mid x) = \\frac{\\sum_m w_m \\, p_m(c \\mid x)}{\\sum_m w_m}

    where :math:`p_m` is member :math:`m`'s ``pred_score`` (the softmax of
    its logits for MMPretrain's single-label heads, after any post-hoc
    adjustment its head applies) and :math:`w_m` its ``weight``. The
    prediction is the argmax of :math:`p`. Usable by ``tools/test.py`` (pass
    ``none`` as the checkpoint: the members load their own), also under
    ``--tta`` (each view is scored by the whole ensemble).

    Example::

        data_preprocessor = None   # members normalise with their own
        model = dict(
            type='ScoreEnsemble',
            members=[
                dict(name='fold0',
                     config='configs/lt/convnext_focal.py',
                     checkpoint='work_dirs/fold0/epoch_30.pth'),
                dict(name='fold1',
                     config='configs/lt/convnext_focal.py',
                     checkpoint='work_dirs/fold1/epoch_30.pth', weight=2.0),
            ])

    Args:
        members: Member dicts with ``name``, ``config`` or ``model``,
            ``checkpoint``, ``strict`` and ``weight`` (a positive number,
            default 1); see :mod:`mmlt.models.classifiers.base_ensemble`.
            A member may itself be an ensemble (``model=dict(type=...)``).
        data_preprocessor: None or ``dict(type='BaseDataPreprocessor')``:
            the ensemble only moves the batch, each member preprocesses it.
        class_counts: Training class counts for the shot bins.
        train_dataset: Config of the data the ensemble represents (e.g. the
            whole training set of k-fold members), whose class counts the
            shot bins use; see :func:`resolve_ensemble_counts` for the rule.
    """

    def __init__(self,
                 members: Sequence[Mapping],
                 data_preprocessor: Any = None,
                 class_counts: Optional[Sequence[int]] = None,
                 train_dataset: Optional[Mapping] = None) -> None:
        super().__init__(
            members, with_weight=True, data_preprocessor=data_preprocessor,
            class_counts=class_counts, train_dataset=train_dataset)
        self.register_buffer(
            'weights',
            torch.tensor([spec.weight for spec in self.specs],
                         dtype=torch.float64),
            persistent=False)

    def predict_scores(self,
                       inputs: Any,
                       data_samples: Optional[List[DataSample]] = None
                       ) -> torch.Tensor:
        """``(N, C)`` weighted mean of the members' ``pred_score``."""
        scores = {
            spec.name: self.member_scores(spec.name, inputs, data_samples)
            for spec in self.specs
        }
        self.check_same_classes(scores)
        stacked = torch.stack(list(scores.values()))  # (M, N, C)
        weights = self.weights.to(stacked)
        return (weights[:, None, None] * stacked).sum(0) / weights.sum()
