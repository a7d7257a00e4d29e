"""Softmax equalization loss (Tan et al., CVPR 2020)."""
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor

from mmlt.registry import MODELS
from .base_loss import BaseLTLoss
from .utils import class_prior, one_hot_target, upcast

__all__ = ['SoftmaxEQLLoss', 'softmax_eql_loss']


def softmax_eql_loss(cls_score: Tensor, label: Tensor,
                     drop: Tensor) -> Tensor:
    r"""Per-sample softmax equalization loss for given Bernoulli draws.

    .. math::
        L = -\sum_j y_j \log \tilde p_j, \qquad
        \tilde p_j = \frac{e^{z_j}}{\sum_k \tilde w_k e^{z_k}}, \qquad
        \tilde w_k = 1 - \beta_k T_\lambda(f_k) (1 - y_k)

    computed as :math:`(\sum_j y_j) \log \sum_k e^{z_k + \log \tilde w_k} -
    \sum_j y_j z_j`; a weight of 0 (:math:`\log \tilde w_k = -\infty`)
    removes the term from the denominator.

    Args:
        cls_score: Logits ``(N, C)``.
        label: Class indices ``(N,)`` or scores ``(N, C)``.
        drop: :math:`\beta_k T_\lambda(f_k)` as a 0/1 (or bool) tensor of
            shape ``(N, C)``: 1 where a tail class's term may leave the
            denominator (it stays for the sample's own class, ``y_k = 1``).

    Returns:
        Tensor: ``(N,)`` losses.
    """
    logits = upcast(cls_score)
    target = one_hot_target(label, logits)
    log_w = torch.log1p(-drop.to(logits.dtype) * (1 - target))
    return target.sum(dim=1) * torch.logsumexp(logits + log_w, dim=1) - \
        (target * logits).sum(dim=1)


@MODELS.register_module()
class SoftmaxEQLLoss(BaseLTLoss):
    r"""Softmax equalization loss (Tan et al., "Equalization Loss for
    Long-Tailed Object Recognition", CVPR 2020; the softmax form the paper
    uses for image classification).

    For a sample, the negative term of every tail class ``k`` (training
    frequency :math:`f_k = n_k / \sum n < \lambda`) is dropped from the
    softmax denominator with probability ``gamma`` (a Bernoulli ``beta``
    drawn per sample and class), so frequent classes' samples discourage
    rare classes less. See :func:`softmax_eql_loss`. The draws come from
    torch's global generator (seeded by mmengine's ``randomness``), as
    dropout's do. ``gamma=0`` or ``freq_threshold=0`` is cross-entropy.
    Soft labels (Mixup/CutMix) follow the same formula with soft ``y``.

    Args:
        freq_threshold: :math:`\lambda`, the frequency below which a class
            is a tail class. The paper tunes it per data set; 5e-3 is the
            default of the Bag-of-Tricks-LT reference implementation (Zhang
            et al., AAAI 2021).
        gamma: Probability that a tail class's negative term is dropped
            (``beta = 1``); ``1 - gamma`` keeps it. 0.9 is the
            Bag-of-Tricks-LT default.
        class_counts: Training images per class, for use without mmlt's
            head (which hands them over).
        **kwargs: ``reduction``, ``loss_weight`` (see
            :class:`~mmlt.models.losses.base_loss.BaseLTLoss`).
    """

    logit_kind = 'favours_rare'
    logit_kind_how = "drops the rare classes' negative terms while training"

    needs_class_counts = True

    def __init__(self,
                 freq_threshold: float = 5e-3,
                 gamma: float = 0.9,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 <= freq_threshold <= 1:
            raise ValueError(
                f'freq_threshold={freq_threshold} must be in [0, 1]')
        if not 0 <= gamma <= 1:
            raise ValueError(f'gamma={gamma} must be a probability in [0, 1]')
        self.freq_threshold = float(freq_threshold)
        self.gamma = float(gamma)
        self._receive_counts(class_counts)

    def derive_from_counts(self, counts: Tensor) -> Dict[str, Tensor]:
        # T_lambda(f_k): the tail classes
        return dict(tail=class_prior(counts) < self.freq_threshold)

    def per_sample_loss(self, logits: Tensor, label: Tensor) -> Tensor:
        # beta_k T_lambda(f_k): beta_k ~ Bernoulli(gamma) per sample and class
        beta = torch.rand(logits.shape, device=logits.device) < self.gamma
        return softmax_eql_loss(logits, label, beta & self.tail)
