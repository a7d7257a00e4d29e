"""Class activation maps (CAM) of an MMPretrain image classifier.

Zhou et al., "Learning Deep Features for Discriminative Localization",
CVPR 2016. For a network that ends with global average pooling and a linear
classifier, with ``f_k(x, y)`` the last feature map and ``w_c`` the
classifier's weights of class c,

    logit_c = b_c + 1/(HW) · Σ_{x,y} Σ_k w_{c,k} f_k(x, y),

and the class activation map of class c is

    M_c(x, y) = Σ_k w_{c,k} f_k(x, y),

so that ``logit_c = b_c + mean_{x,y} M_c(x, y)``. CAM-based sampling (Zhang
et al., "Bag of Tricks for Long-Tailed Visual Recognition with Deep
Convolutional Neural Networks", AAAI 2021) takes the map of each image's
*true* class.

Supported models (anything else raises ``ValueError`` naming its parts):

1. backbone → ``GlobalAveragePooling`` neck → linear head (ResNet,
   ResNet_CIFAR, ConvNeXt with ``gap_before_final_norm=False``...);
2. MMPretrain's default ConvNeXt (``gap_before_final_norm=True``, no neck,
   as mmlt's ``convnext_atto_lt``): the backbone averages the last stage's
   map ``x`` and then layer-normalises the pooled vector ``g``:
   ``h = γ ⊙ (g − μ)/σ + β`` with μ, σ the mean and standard deviation of
   ``g`` over channels. μ and σ are constants of the image, so
   ``f(x, y) = γ ⊙ (x(x, y) − μ)/σ + β`` is a map whose spatial mean is
   exactly the head's input ``h``; it is the ``f`` used here.

Heads: ``LinearClsHead`` and mmlt's ``LTLinearClsHead`` (with learnable
weight scaling the weights are ``f_c · w_c``), and the cosine classifier of
``LTNormedLinearClsHead`` (``cos(h, w_c) = h·ŵ_c / |h|``: ``|h|`` is a
positive constant of the image, so the map uses ``ŵ_c = w_c/|w_c|`` and
differs from the exact one by a positive factor, which the [0, 1]
normalisation of CAM-based sampling removes). A head subclass that changes
``pre_logits`` or ``forward`` is refused.

When the last map is too coarse (ConvNeXt's 32x downsampling leaves 1x1 of
a 32x32 image), :func:`gradient_weighted_cam` computes the map at an
earlier layer as Grad-CAM does (Selvaraju et al., ICCV 2017), without its
ReLU: at the last map of a GAP + linear classifier it equals CAM divided by
``h·w``, so it extends CAM rather than replacing it.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    'compute_cam', 'check_cam_model', 'cam_feature_map',
    'classifier_weight', 'class_activation_maps', 'gradient_weighted_cam',
    'upsample_cams'
]


def compute_cam(feature_map: torch.Tensor, weight: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
    """``M(x, y) = Σ_k w_{label,k} f_k(x, y)`` for every image of a batch.

    Args:
        feature_map: ``(B, C, h, w)`` last feature map.
        weight: ``(num_classes, C)`` classifier weights.
        labels: ``(B,)`` class of each image (its true class).

    Returns:
        torch.Tensor: ``(B, h, w)`` maps.
    """
    if feature_map.dim() != 4:
        raise ValueError(f'feature_map must be (B, C, h, w), got shape '
                         f'{tuple(feature_map.shape)}')
    if weight.dim() != 2 or weight.shape[1] != feature_map.shape[1]:
        raise ValueError(f'weight of shape {tuple(weight.shape)} does not '
                         f'match {feature_map.shape[1]} feature channels')
    labels = torch.as_tensor(labels, device=weight.device).long()
    if labels.shape != (feature_map.shape[0], ):
        raise ValueError(f'labels of shape {tuple(labels.shape)} for a '
                         f'batch of {feature_map.shape[0]} feature maps')
    if len(labels) and (labels.min() < 0 or labels.max() >= len(weight)):
        bad = labels[(labels < 0) | (labels >= len(weight))][0].item()
        raise ValueError(f'label {bad} is outside the classifier\'s '
                         f'{len(weight)} classes')
    return torch.einsum('bchw,bc->bhw', feature_map, weight[labels])


def _unwrap(model: nn.Module) -> nn.Module:
    from mmengine.model import is_model_wrapper
    return model.module if is_model_wrapper(model) else model


def _describe(model: nn.Module) -> str:
    parts = [f'{name}={type(getattr(model, name, None)).__name__}'
             for name in ('backbone', 'neck', 'head')]
    return f'{type(model).__name__}({", ".join(parts)})'


def _is_pooled_convnext(backbone: nn.Module) -> bool:
    from mmpretrain.models.backbones import ConvNeXt
    return isinstance(backbone, ConvNeXt) and bool(
        backbone.gap_before_final_norm)


def check_cam_model(model: nn.Module) -> None:
    """Raise ``ValueError`` unless CAM is defined for ``model`` (see the
    module docstring for what is supported)."""
    from mmpretrain.models.heads import LinearClsHead
    from mmpretrain.models.heads.margin_head import NormProduct
    from mmpretrain.models.necks import GlobalAveragePooling

    from mmlt.models.heads import LTLinearClsHead
    model = _unwrap(model)
    what = _describe(model)
    if not all(hasattr(model, a) for a in ('backbone', 'neck', 'head')):
        raise ValueError(f'CAM needs an image classifier with a backbone, '
                         f'a neck (or None) and a head, got {what}')
    head, neck = model.head, model.neck
    # heads known to score fc(pooled feature); a subclass that changes
    # pre_logits or forward may not
    linear = (LinearClsHead.forward, LTLinearClsHead.forward)
    if not isinstance(head, LinearClsHead) or \
            type(head).pre_logits is not LinearClsHead.pre_logits or \
            type(head).forward not in linear:
        raise ValueError(
            f'CAM is undefined for {what}: the head must be a linear '
            'classifier on the pooled feature (LinearClsHead, '
            'LTLinearClsHead, LTNormedLinearClsHead), got '
            f'{type(head).__name__}')
    fc = getattr(head, 'fc', None)
    if not isinstance(fc, nn.Linear) or (isinstance(fc, NormProduct)
                                         and fc.k != 1):
        raise ValueError(f'CAM is undefined for {what}: head.fc must be a '
                         f'linear layer, got {fc!r}')
    if neck is None:
        if not _is_pooled_convnext(model.backbone):
            raise ValueError(
                f'CAM is undefined for {what}: without a neck the backbone '
                'must be a ConvNeXt with gap_before_final_norm=True; '
                'otherwise use neck=dict(type="GlobalAveragePooling")')
        norm = getattr(model.backbone,
                       f'norm{max(model.backbone.out_indices)}')
        if not isinstance(norm, nn.LayerNorm):
            raise ValueError(f'CAM is undefined for {what}: the final norm '
                             f'of the ConvNeXt is {type(norm).__name__}, '
                             'not a LayerNorm')
    elif not isinstance(neck, GlobalAveragePooling) or not isinstance(
            neck.gap, nn.AdaptiveAvgPool2d):
        raise ValueError(f'CAM is undefined for {what}: the neck must be a '
                         '2-d GlobalAveragePooling, got '
                         f'{type(neck).__name__}')


def _pooled_convnext_map(backbone: nn.Module,
                         inputs: torch.Tensor) -> Tuple[torch.Tensor,
                                                        torch.Tensor]:
    last = max(backbone.out_indices)
    captured = []
    handle = backbone.stages[last].register_forward_hook(
        lambda module, args, out: captured.append(out))
    try:
        pooled = backbone(inputs)[-1]
    finally:
        handle.remove()
    x = captured[-1]
    norm = getattr(backbone, f'norm{last}')
    g = x.mean((2, 3))
    mu = g.mean(1, keepdim=True)
    scale = torch.rsqrt(g.var(1, unbiased=False, keepdim=True) + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight
    fmap = (x - mu[..., None, None]) * scale[..., None, None]
    if norm.bias is not None:
        fmap = fmap + norm.bias[None, :, None, None]
    return fmap, pooled


def cam_feature_map(model: nn.Module, inputs: torch.Tensor
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The map ``f`` whose spatial mean is the head's input, and that input.

    Args:
        model: A classifier accepted by :func:`check_cam_model`.
        inputs: A preprocessed batch ``(B, C, H, W)``.

    Returns:
        tuple: ``(f, h)``, ``f`` of shape ``(B, C', h, w)`` and ``h`` of
        shape ``(B, C')`` with ``h == f.mean((2, 3))``.
    """
    check_cam_model(model)
    model = _unwrap(model)
    if model.neck is None:
        fmap, pooled = _pooled_convnext_map(model.backbone, inputs)
    else:
        fmap = model.backbone(inputs)[-1]
        pooled = model.neck((fmap, ))[-1]
        if fmap.dim() != 4:
            raise ValueError(f'CAM needs a spatial feature map, but the '
                             f'backbone gives shape {tuple(fmap.shape)}')
    mean = fmap.mean((2, 3))
    assert torch.allclose(mean, pooled, rtol=1e-3, atol=1e-4), \
        float((mean - pooled).abs().max())
    return fmap, pooled


def classifier_weight(model: nn.Module) -> torch.Tensor:
    """The ``(num_classes, C)`` weights the map is computed with."""
    check_cam_model(model)
    head = _unwrap(model).head
    weight = head.fc.weight
    if getattr(head.fc, 'weight_norm', False):  # NormProduct: unit vectors
        weight = F.normalize(weight)
    if getattr(head, 'lws', False):  # learnable weight scaling f_c
        weight = weight * head.lws_scale[:, None]
    return weight


def class_activation_maps(model: nn.Module, inputs: torch.Tensor,
                          labels: torch.Tensor) -> torch.Tensor:
    """CAM of each image for its class ``labels[i]``, at the resolution of
    the last feature map: ``(B, h, w)``.

    Raises:
        ValueError: If CAM is undefined for ``model`` (see
            :func:`check_cam_model`).
    """
    with torch.no_grad():
        fmap, _ = cam_feature_map(model, inputs)
        return compute_cam(fmap, classifier_weight(model), labels)


def gradient_weighted_cam(model: nn.Module, inputs: torch.Tensor,
                          labels: torch.Tensor, layer: str) -> torch.Tensor:
    """Gradient-weighted class activation maps at ``layer``.

    ``M(x, y) = Σ_k α_k A_k(x, y)`` with ``A`` the output of ``layer`` and
    ``α_k = mean_{x,y} ∂y_c/∂A_k(x, y)``, ``y_c`` the logit of the image's
    class ``labels[i]`` (Grad-CAM, Selvaraju et al., ICCV 2017, eq. 1-2,
    without the final ReLU, so that a negative contribution stays below a
    neutral one as in CAM). Works for any classifier whose
    ``model(inputs, mode='tensor')`` gives ``(B, num_classes)`` logits.

    Args:
        model: The classifier (in eval mode).
        inputs: A preprocessed batch ``(B, C, H, W)``.
        labels: ``(B,)`` class of each image.
        layer: Name of a submodule with a ``(B, C', h, w)`` output, e.g.
            ``'backbone.stages.0'`` (ConvNeXt) or ``'backbone.layer3'``
            (ResNet).

    Returns:
        torch.Tensor: ``(B, h, w)`` maps.
    """
    net = _unwrap(model)
    try:
        module = net.get_submodule(layer)
    except AttributeError:
        raise ValueError(f'layer={layer!r} is not a submodule of '
                         f'{_describe(net)}; name one as in '
                         'model.named_modules(), e.g. "backbone.stages.0"'
                         ) from None
    captured = []
    handle = module.register_forward_hook(
        lambda mod, args, out: captured.append(out))
    try:
        with torch.enable_grad():
            logits = net(inputs, mode='tensor')
            if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
                raise ValueError(f'{_describe(net)} does not give (B, '
                                 'num_classes) logits in mode="tensor"')
            acts = captured[-1]
            if not isinstance(acts, torch.Tensor) or acts.dim() != 4:
                got = tuple(acts.shape) if isinstance(
                    acts, torch.Tensor) else type(acts).__name__
                raise ValueError(f'layer={layer!r} gives {got}, not a (B, '
                                 'C, h, w) feature map')
            labels = torch.as_tensor(labels, device=logits.device).long()
            if len(labels) and (labels.min() < 0
                                or labels.max() >= logits.shape[1]):
                bad = labels[(labels < 0) |
                             (labels >= logits.shape[1])][0].item()
                raise ValueError(f'label {bad} is outside the model\'s '
                                 f'{logits.shape[1]} classes')
            score = logits.gather(1, labels[:, None]).sum()
            grads, = torch.autograd.grad(score, acts)
    finally:
        handle.remove()
    alpha = grads.mean((2, 3), keepdim=True)
    return (alpha * acts).sum(1).detach()


def upsample_cams(cams: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of ``(B, h, w)`` maps to ``size`` = (H, W)."""
    return F.interpolate(cams[:, None].float(), size=tuple(size),
                         mode='bilinear', align_corners=False)[:, 0]
