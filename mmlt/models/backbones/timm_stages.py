"""A timm model's stage outputs and its final feature map, for deep
supervision on a pretrained backbone."""
from typing import Sequence, Tuple

import torch
from mmpretrain.models.backbones import TIMMBackbone

from mmlt.registry import MODELS

__all__ = ['TIMMStages']


@MODELS.register_module()
class TIMMStages(TIMMBackbone):
    """MMPretrain's ``TIMMBackbone`` (same arguments, same ``timm_model``
    keys, so the same checkpoints load) that returns the feature maps of
    the stages ``out_indices`` followed by the model's final feature map.

    timm's ``features_only=True`` extractor ends at the last block: for
    EfficientNet that drops the 1x1 head convolution and its BatchNorm
    (320 to 1280 channels for Lite0), pretrained tensors a classifier on the
    final map reads. This returns timm's ``forward_intermediates``: the
    stage outputs (``feature_info`` indices, e.g. 1, 2, 3 for Lite0's
    strides 4, 8, 16 with 24, 40, 112 channels) and the final map after the
    head convolution (1280 channels), so auxiliary heads read the stages and
    the main classifier the same features as with ``TIMMBackbone``.

    Args:
        model_name (str): A timm model with ``forward_intermediates`` and
            ``feature_info``.
        out_indices (Sequence[int]): ``feature_info`` indices of the stages
            returned before the final map, ascending.
        **kwargs: ``TIMMBackbone``'s, ``features_only`` excepted.

    Raises:
        ValueError: For ``features_only=True``, indices out of range or not
            ascending, naming them and the stages there are.
        TypeError: For a timm model without ``forward_intermediates``.
    """

    def __init__(self, model_name: str, out_indices: Sequence[int] = (1, 2,
                                                                       3),
                 **kwargs) -> None:
        if kwargs.pop('features_only', False):
            raise ValueError('TIMMStages returns the stages itself; '
                             'features_only=True is TIMMBackbone\'s way '
                             '(without the head convolution)')
        super().__init__(model_name, features_only=False, **kwargs)
        if not hasattr(self.timm_model, 'forward_intermediates'):
            raise TypeError(f'timm model {model_name!r} has no '
                            'forward_intermediates: use TIMMBackbone')
        info = self.timm_model.feature_info
        out_indices = tuple(int(i) for i in out_indices)
        if not out_indices or list(out_indices) != sorted(set(out_indices)) \
                or not 0 <= out_indices[0] <= out_indices[-1] < len(info):
            raise ValueError(
                f'out_indices {out_indices} of {model_name!r}: ascending '
                f'indices of its {len(info)} stages, 0 to {len(info) - 1} '
                '(channels ' + ', '.join(
                    f'{i}: {s["num_chs"]}' for i, s in enumerate(info)) +
                ')')
        self.out_indices = out_indices
        self.out_channels = tuple(info[i]['num_chs'] for i in out_indices) \
            + (self.timm_model.num_features, )

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        final, stages = self.timm_model.forward_intermediates(
            x, indices=list(self.out_indices))
        return tuple(stages) + (final, )
