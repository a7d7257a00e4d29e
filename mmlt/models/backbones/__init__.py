from .efficientnet_lite_convert import (backbone_checkpoint_state,
                                       build_backbone_checkpoint,
                                       convert_efficientnet_state_dict,
                                       lite_weights_file,
                                       map_efficientnet_keys)
from .resnet32_cifar import ResNetCIFARLT, ZeroPadShortcut
from .timm_stages import TIMMStages

__all__ = [
    'ResNetCIFARLT', 'TIMMStages', 'ZeroPadShortcut', 'map_efficientnet_keys',
    'convert_efficientnet_state_dict', 'backbone_checkpoint_state',
    'build_backbone_checkpoint', 'lite_weights_file'
]
