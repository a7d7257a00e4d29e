"""Label-distribution-aware margin loss (Cao et al., NeurIPS 2019)."""
from typing import Optional, Sequence

from torch import Tensor

from mmlt.registry import MODELS
from .fused_ops import adjusted_cross_entropy
from .utils import (BaseLTLoss, ClassWeightMixin, hard_label,
                    reduce_loss_with_weight, upcast)

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
    margin = margins.to(logits.dtype)[label]
    return adjusted_cross_entropy(
        logits,
        label,
        scale=s,
        target_offset=-s * margin,
        class_weight=class_weight)


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

    Args:
        max_m: Largest margin (0.5 in the paper's code and experiments).
        s: Logit scale (30 in the paper's code).
        class_weight: Per-class weights, or None.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Factor on the loss.
        class_counts: Training images per class when used without mmlt's
            head (which passes them).
    """

    def __init__(self,
                 max_m: float = 0.5,
                 s: float = 30.0,
                 class_weight: Optional[Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None) -> None:
        super().__init__(reduction, loss_weight, class_counts)
        if max_m < 0:
            raise ValueError(f'max_m={max_m} must be >= 0')
        if s <= 0:
            raise ValueError(f's={s} must be > 0')
        self.max_m = float(max_m)
        self.s = float(s)
        self._init_class_weight(class_weight)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                class_counts: Optional[Tensor] = None) -> Tensor:
        label = hard_label(label, cls_score, type(self).__name__)
        margins = self._per_class(
            f'margins{self.max_m}', class_counts, cls_score,
            lambda counts: ldam_margins(counts, self.max_m))
        loss = ldam_loss(cls_score, label, margins, self.s,
                         self._class_weight_for(cls_score))
        return self.loss_weight * reduce_loss_with_weight(
            loss, weight, self._reduction(reduction_override), avg_factor)
