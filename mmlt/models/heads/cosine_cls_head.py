"""Cosine classifier with a CosFace or Circle margin and an optional BNNeck."""
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads.margin_head import NormProduct
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from mmlt.registry import MODELS
from ..losses.utils import split_label
from .lt_linear_head import LTLinearClsHead

__all__ = ['CosineClsHead', 'cosine_margin_logits', 'MARGIN_DEFAULTS']

# The scale s and margin m each paper trains with (both on face recognition):
# CosFace (Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face
# Recognition", CVPR 2018, Sec. 4.1): s=64, m=0.35.
# Circle loss (Sun et al., "Circle Loss: A Unified Perspective of Pair
# Similarity Optimization", CVPR 2020, Sec. 5, face recognition): gamma=256,
# m=0.25.
MARGIN_DEFAULTS: Dict[str, Dict[str, float]] = {
    'cosface': dict(s=64.0, m=0.35),
    'circle': dict(s=256.0, m=0.25),
}


def cosine_margin_logits(cosine: Tensor,
                         label: Optional[Tensor],
                         s: float,
                         m: float,
                         margin_type: str = 'cosface') -> Tensor:
    r"""Scaled cosine logits with the margin on each sample's target class.

    ``cosface`` (Wang et al., CVPR 2018, Eq. 4):

    .. math::
        z_j = s \, (\cos\theta_j - m \, [j = y])

    ``circle`` (Sun et al., CVPR 2020, Eq. 6 and 8, with one positive, the
    target class, and the other classes as negatives):

    .. math::
        z_y = s \, \alpha_p (\cos\theta_y - (1 - m)), \quad
        z_j = s \, \alpha_n (\cos\theta_j - m) \; (j \ne y),

        \alpha_p = [1 + m - \cos\theta_y]_+, \quad
        \alpha_n = [\cos\theta_j + m]_+

    with the weights ``alpha`` treated as constants (detached), so that the
    softmax cross-entropy of ``z`` is the Circle loss
    :math:`\log(1 + \sum_j e^{z_j - z_y})`.

    Args:
        cosine: ``(N, C)`` cosines ``cos(h, w_c)``.
        label: ``(N,)`` class indices, or None for no margin (inference):
            then ``s * cosine`` for both margin types.
        s: Scale.
        m: Margin (CosFace) or relaxation (Circle).
        margin_type: ``'cosface'`` or ``'circle'``.
    """
    if label is None:
        return s * cosine
    target = F.one_hot(label, cosine.shape[1]).bool()
    if margin_type == 'cosface':
        return s * (cosine - m * target.to(cosine.dtype))
    if margin_type == 'circle':
        alpha_p = (1.0 + m - cosine).clamp_min(0).detach()
        alpha_n = (cosine + m).clamp_min(0).detach()
        positive = s * alpha_p * (cosine - (1.0 - m))
        negative = s * alpha_n * (cosine - m)
        return torch.where(target, positive, negative)
    raise ValueError(f'margin_type={margin_type!r} must be one of '
                     f'{tuple(MARGIN_DEFAULTS)}')


def _check_number(value, name: str, low: float, high: float = math.inf,
                  low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < low or \
            (low_open and value == low) or value >= high:
        bound = f'> {low}' if low_open else f'>= {low}'
        if high != math.inf:
            bound += f' and < {high}'
        raise ValueError(f'{name}={value!r} must be a finite number {bound}')
    return float(value)


@MODELS.register_module()
class CosineClsHead(LTLinearClsHead):
    r"""Cosine classifier with a margin on the target class while training.

    The classifier is normalised: ``cos(h, w_c) = h^T w_c / (|h| |w_c|)``
    (MMPretrain's ``NormProduct``, no bias). Training logits put a margin on
    each sample's target class and are scaled by ``s`` (see
    :func:`cosine_margin_logits`):

    * ``margin_type='cosface'``: ``s * (cos - m * onehot(y))`` (Wang et al.,
      "CosFace: Large Margin Cosine Loss for Deep Face Recognition",
      CVPR 2018);
    * ``margin_type='circle'``: the Circle loss's self-paced weights and
      relaxation ``m`` (Sun et al., "Circle Loss: A Unified Perspective of
      Pair Similarity Optimization", CVPR 2020).

    The loss (any mmlt or MMPretrain loss; it still gets class counts, group
    ids, group weights and ``feats`` as from :class:`LTLinearClsHead`)
    receives these margin-applied, scaled logits. ``predict`` and
    ``forward`` use ``s * cos`` with no margin (then the optional post-hoc
    logit adjustment); predictions rank classes by the cosine.

    The margin needs hard labels: with mixed soft labels (MMPretrain
    Mixup/CutMix) training raises a ``ValueError``. ``margin_type='cosface'``
    with ``m=0`` needs no label and accepts them.

    With ``LDAMLoss``: LDAM puts its own label-distribution-aware margin on
    the target cosine and scales by its own ``s`` (Cao et al., NeurIPS 2019).
    The scale must be applied once, so the head must have ``s=1`` (else a
    ``ValueError``); the head's ``m`` then adds to LDAM's margin (target
    margin ``m + Delta_y`` in cosine units). ``s=1, m=0`` with ``LDAMLoss``
    is exactly LDAM on ``LTNormedLinearClsHead``.

    BNNeck (Luo et al., "Bag of Tricks and A Strong Baseline for Deep Person
    Re-identification", CVPR Workshops 2019): ``bnneck=True`` puts a
    ``BatchNorm1d`` on the feature before the classifier, with its bias
    fixed at 0 (not trained), as in the paper. ``pre_logits`` returns the
    normalised feature, which is also what a loss taking ``feats`` gets.

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the input feature.
        s: Scale. None takes the paper's value for ``margin_type``
            (:data:`MARGIN_DEFAULTS`: CosFace 64, Circle 256).
        m: Margin (CosFace) or relaxation (Circle), in cosine units. None
            takes the paper's value (CosFace 0.35, Circle 0.25).
        margin_type: ``'cosface'`` or ``'circle'``.
        bnneck: Put a BNNeck before the classifier.
        **kwargs: As :class:`LTLinearClsHead` (``loss``, ``group_weight``,
            ``logit_adjust_tau``, ``logit_adjust_any_loss``, ``topk``,
            ``cal_acc``, ``init_cfg``; a learnable weight scaling multiplies
            the margin logits too; ``tau_norm`` is refused, the classifier
            being normalised). The post-hoc logit adjustment is checked
            against the loss only: the head's own margin is the same for
            every class, so cross-entropy on it is accepted, while
            ``LDAMLoss`` (margins that depend on the class) is refused.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 s: Optional[float] = None,
                 m: Optional[float] = None,
                 margin_type: str = 'cosface',
                 bnneck: bool = False,
                 **kwargs) -> None:
        if margin_type not in MARGIN_DEFAULTS:
            raise ValueError(f'margin_type={margin_type!r} must be one of '
                             f'{tuple(MARGIN_DEFAULTS)}')
        if not isinstance(bnneck, bool):
            raise TypeError(f'bnneck={bnneck!r} must be a bool')
        super().__init__(
            num_classes=num_classes, in_channels=in_channels, **kwargs)
        defaults = MARGIN_DEFAULTS[margin_type]
        self.margin_type = margin_type
        self.s = _check_number(defaults['s'] if s is None else s, 's', 0,
                               low_open=True)
        self.m = _check_number(defaults['m'] if m is None else m, 'm', 0,
                               1.0 if margin_type == 'circle' else math.inf)
        self.fc = NormProduct(in_channels, num_classes, bias=False)
        if hasattr(self, 'set_tau_norm'):
            # re-checked now that fc is normalised (tau_norm is refused)
            self.set_tau_norm(self.tau_norm)
        self.bnneck: Optional[nn.BatchNorm1d] = None
        if bnneck:
            self.bnneck = nn.BatchNorm1d(in_channels)
            nn.init.zeros_(self.bnneck.bias)
            self.bnneck.bias.requires_grad_(False)
        self._check_loss_scale()

    def _check_loss_scale(self) -> None:
        from mmlt.models.losses import LDAMLoss
        if isinstance(self.loss_module, LDAMLoss) and self.s != 1.0:
            raise ValueError(
                f'CosineClsHead(s={self.s}) with LDAMLoss, which scales the '
                f'logits itself (LDAMLoss s={self.loss_module.s}): set the '
                "head's s=1.0 so that they are scaled once (the head's m "
                "then adds to LDAM's margin)")

    @property
    def needs_label(self) -> bool:
        """Whether the training logits depend on the label."""
        return self.margin_type == 'circle' or self.m > 0

    def pre_logits(self, feats: Tuple[Tensor]) -> Tensor:
        """The last feature, through the BNNeck when there is one."""
        h = feats[-1]
        if self.bnneck is not None:
            h = self.bnneck(h)
        return h

    def _scale(self, cls_score: Tensor) -> Tensor:
        """Times the learnable per-class scale when the head has LWS."""
        if getattr(self, 'lws', False):
            cls_score = cls_score * self.lws_scale
        return cls_score

    def classify(self, pre_logits: Tensor) -> Tensor:
        """Inference logits ``s * cos(h, w)`` (no margin)."""
        return self._scale(self.s * self.fc(pre_logits))

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Inference logits ``s * cos(h, w)`` (no margin)."""
        return self.classify(self.pre_logits(feats))

    def loss(self, feats: Tuple[Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        pre_logits = self.pre_logits(feats)
        cosine = self.fc(pre_logits)
        label = self._margin_label(cosine, data_samples) \
            if self.needs_label else None
        cls_score = self._scale(
            cosine_margin_logits(cosine, label, self.s, self.m,
                                 self.margin_type))
        if 'feats' in self._extra_inputs:
            kwargs['feats'] = pre_logits
        return self._get_loss(cls_score, data_samples, **kwargs)

    def _margin_label(self, cosine: Tensor,
                      data_samples: List[DataSample]) -> Tensor:
        """Class indices of the batch; mixed soft labels are refused."""
        if 'gt_score' in data_samples[0]:
            target = torch.stack([s.gt_score for s in data_samples])
        else:
            target = torch.cat([s.gt_label for s in data_samples])
        label, soft = split_label(target.to(cosine.device), cosine)
        if not soft:
            return label
        one_hot = bool(((label == 0) | (label == 1)).all()) and \
            bool((label.sum(dim=1) == 1).all())
        if not one_hot:
            raise ValueError(
                f'CosineClsHead puts its margin (margin_type='
                f'{self.margin_type!r}, m={self.m}) on each sample\'s target '
                'class and needs hard labels, but got mixed soft labels '
                '(gt_score from MMPretrain Mixup/CutMix batch_augments); '
                'remove batch_augments from the data_preprocessor (or switch '
                "them off with BatchAugmentOffHook) or use margin_type="
                "'cosface' with m=0")
        return label.argmax(dim=1)
