"""Label-distribution-aware margin loss (Cao et al., NeurIPS 2019)."""
from typing import Dict, Optional, Sequence

import torch.nn.functional as F
from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss, ClassWeightMixin
from .utils import hard_label, upcast

__all__ = ['LDAMLoss', 'ldam_loss', 'ldam_margins']


def ldam_margins(counts: Tensor, max_m: float) -> Tensor:
    """``Delta_c ∝ n_c^{-1/4}``, scaled so that the largest is ``max_m``."""
    margins = counts.to(float).pow(-0.25)
    return margins * (max_m / margins.max())


def ldam_loss(cls_score: Tensor,
              label: Tensor,
              margins: Tensor,
              s: float = 30.0,
              class_weight: Optional[Tensor] = None) -> Tensor:
    r"""Per-sample LDAM loss (Cao et al., NeurIPS 2019, Sec. 3).

    .. math::
        L = -\log \frac{e^{s (z_y - \Delta_y)}}{e^{s (z_y - \Delta_y)} +
        \sum_{j \ne y} e^{s z_j}}

    i.e. cross-entropy of ``s * (z - Delta_y 1_y)``, optionally weighted by
    ``class_weight[y]`` (deferred re-weighting). Needs hard labels.

    Args:
        cls_score: Logits ``(N, C)``, with LDAM usually cosines of a
            normalised linear classifier (``LTNormedLinearClsHead``).
        label: Class indices ``(N,)``.
        margins: ``(C,)`` margins ``Delta``.
        s: Scale of the logits.
        class_weight: ``(C,)`` class weights, or None.
    """
    logits = upcast(cls_score)
    # Delta_y on each sample's target logit, 0 elsewhere
    margin = margins.to(logits) * F.one_hot(label, logits.shape[1])
    return F.cross_entropy(
        s * (logits - margin), label, weight=class_weight, reduction='none')


@MODELS.register_module()
class LDAMLoss(ClassWeightMixin, BaseLTLoss):
    """LDAM loss (Cao et al., "Learning Imbalanced Datasets with
    Label-Distribution-Aware Margin Loss", NeurIPS 2019).

    Class ``c`` gets the margin ``Delta_c = C / n_c^{1/4}`` with ``C``
    chosen so that the largest margin is ``max_m``; the margin is taken off
    the target logit and the logits are scaled by ``s`` (see
    :func:`ldam_loss`). The paper uses it with a normalised (cosine) linear
    classifier: ``LTNormedLinearClsHead``. Deferred re-weighting (DRW) sets
    :meth:`set_class_weight` through ``DeferredReweightingHook``.
    ``max_m=0, s=1`` is cross-entropy. Needs hard labels: refuses Mixup /
    CutMix scores.

    Reduction of the re-weighted loss: ``class_weight_norm='num_samples'``
    (default, MMPretrain's convention) gives ``sum_i w_{y_i} L_i / N``; the
    authors' code (``F.cross_entropy(..., weight=per_cls_weights)``)
    computes ``sum_i w_{y_i} L_i / sum_i w_{y_i}``: ``'weight_sum'``, which
    the LDAM-DRW configs use. The two differ by a factor that changes from
    batch to batch once DRW is on.

    Args:
        max_m: Largest margin (0.5 in the paper's code and experiments).
        s: Logit scale (30 in the paper's code).
        class_counts: Training images per class, for use without mmlt's
            head (which hands them over).
        **kwargs: ``class_weight``, ``class_weight_norm`` (above),
            ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.ClassWeightMixin`).
    """

    logit_kind = 'favours_rare'
    logit_kind_how = ('takes a class-dependent margin (larger for rare '
                      'classes) off the target logit while training')

    needs_class_counts = True

    def __init__(self,
                 max_m: float = 0.5,
                 s: float = 30.0,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if max_m < 0:
            raise ValueError(f'max_m={max_m} must be >= 0')
        if s <= 0:
            raise ValueError(f's={s} must be > 0')
        self.max_m = float(max_m)
        self.s = float(s)
        self._receive_counts(class_counts)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        return dict(margins=ldam_margins(counts, self.max_m))

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        label = hard_label(label, logits, type(self).__name__)
        return ldam_loss(logits, label, self.margins, self.s,
                         self.class_weight_for(logits))
