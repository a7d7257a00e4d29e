"""Class activation maps of MMPretrain classifiers, against hand
computations on tiny models."""
import copy

import pytest
import torch
from mmengine.registry import init_default_scope

import mmlt  # noqa: F401
from mmlt.cam.activation_maps import (check_cam_model,
                                      class_activation_maps, compute_cam,
                                      gradient_weighted_cam, upsample_cams)

TINY = dict(depths=[1, 1, 1, 1], channels=[8, 8, 8, 12])


def build(backbone=None, neck=None, head=None):
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    cfg = dict(
        type='ImageClassifier',
        backbone=backbone or dict(type='ConvNeXt', arch=copy.deepcopy(TINY),
                                  in_channels=1, stem_patch_size=1),
        neck=neck,
        head=head or dict(type='LTLinearClsHead', num_classes=5,
                          in_channels=12))
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    for p in model.parameters():  # away from the init's ones and zeros
        p.data.add_(0.1 * torch.randn_like(p))
    return model


def gap_model():
    """ConvNeXt giving its normalised last map, GAP neck, linear head."""
    return build(
        backbone=dict(type='ConvNeXt', arch=copy.deepcopy(TINY),
                      in_channels=1, stem_patch_size=1,
                      gap_before_final_norm=False),
        neck=dict(type='GlobalAveragePooling'))


INPUTS = torch.randn(3, 1, 32, 32, generator=torch.Generator().manual_seed(1))
LABELS = torch.tensor([4, 0, 2])


def test_compute_cam_is_the_weighted_sum_of_channels():
    fmap = torch.randn(2, 3, 4, 5)
    weight = torch.randn(6, 3)
    cam = compute_cam(fmap, weight, torch.tensor([5, 1]))
    for b, c in enumerate([5, 1]):
        hand = sum(weight[c, k] * fmap[b, k] for k in range(3))
        assert torch.allclose(cam[b], hand, atol=1e-6)


def test_cam_of_a_gap_model_equals_feature_map_times_class_weights():
    model = gap_model()
    cams = class_activation_maps(model, INPUTS, LABELS)
    with torch.no_grad():
        fmap = model.backbone(INPUTS)[-1]  # (3, 12, 4, 4)
        logits = model(INPUTS, mode='tensor')
    assert cams.shape == (3, 4, 4)
    w, b = model.head.fc.weight, model.head.fc.bias
    for i, c in enumerate(LABELS.tolist()):
        hand = (w[c][:, None, None] * fmap[i]).sum(0)
        assert torch.allclose(cams[i], hand, atol=1e-5)
        # Zhou et al. 2016: logit_c = b_c + mean of the map
        assert torch.isclose(cams[i].mean() + b[c], logits[i, c], atol=1e-5)


def test_cam_of_convnext_pooled_before_its_layer_norm():
    model = build()  # gap_before_final_norm=True, no neck (mmlt's configs)
    cams = class_activation_maps(model, INPUTS, LABELS)
    captured = []
    model.backbone.stages[3].register_forward_hook(
        lambda m, a, out: captured.append(out))
    with torch.no_grad():
        logits = model(INPUTS, mode='tensor')
    x = captured[0]  # last stage, before pooling and norm
    norm = model.backbone.norm3
    g = x.mean((2, 3))
    mu = g.mean(1, keepdim=True)
    sigma = (g.var(1, unbiased=False, keepdim=True) + norm.eps).sqrt()
    fmap = (x - mu[..., None, None]) / sigma[..., None, None] * \
        norm.weight[:, None, None] + norm.bias[:, None, None]
    w, b = model.head.fc.weight, model.head.fc.bias
    for i, c in enumerate(LABELS.tolist()):
        hand = (w[c][:, None, None] * fmap[i]).sum(0)
        assert torch.allclose(cams[i], hand, atol=1e-5)
        assert torch.isclose(cams[i].mean() + b[c], logits[i, c], atol=1e-5)


def test_cosine_head_uses_unit_class_vectors():
    model = build(head=dict(type='LTNormedLinearClsHead', num_classes=5,
                            in_channels=12))
    cams = class_activation_maps(model, INPUTS, LABELS)
    with torch.no_grad():
        pooled = model.backbone(INPUTS)[-1]
        logits = model(INPUTS, mode='tensor')
    for i, c in enumerate(LABELS.tolist()):
        # cos(h, w_c) = mean(map) / |h|
        assert torch.isclose(cams[i].mean() / pooled[i].norm(),
                             logits[i, c], atol=1e-5)


def test_learnable_weight_scaling_scales_the_class_weights():
    import inspect
    from mmlt.models.heads import LTLinearClsHead
    # a failure, not a skip, if the head loses lws: the maps would then
    # not be tested against a scaled classifier
    assert 'lws' in inspect.signature(LTLinearClsHead).parameters
    model = build(head=dict(type='LTLinearClsHead', num_classes=5,
                            in_channels=12, lws=True))
    model.head.lws_scale.data = torch.tensor([0.5, 2., 1., 3., 1.5])
    cams = class_activation_maps(model, INPUTS, LABELS)
    with torch.no_grad():
        logits = model(INPUTS, mode='tensor')
    scale, b = model.head.lws_scale, model.head.fc.bias
    for i, c in enumerate(LABELS.tolist()):
        assert torch.isclose(cams[i].mean() + scale[c] * b[c], logits[i, c],
                             atol=1e-5)


def test_a_head_that_changes_forward_is_refused():
    from mmlt.models.heads import LTLinearClsHead

    class ExtraLayerHead(LTLinearClsHead):

        def forward(self, feats):
            return self.fc(torch.relu(self.pre_logits(feats)))

    model = build()
    model.head.__class__ = ExtraLayerHead
    with pytest.raises(ValueError, match='ExtraLayerHead'):
        check_cam_model(model)


def test_gradient_weighted_cam_at_the_last_map_is_cam_over_its_area():
    model = gap_model()
    cams = class_activation_maps(model, INPUTS, LABELS)
    grad_cams = gradient_weighted_cam(model, INPUTS, LABELS,
                                      'backbone.norm3')
    assert torch.allclose(grad_cams * 16, cams, atol=1e-5)
    early = gradient_weighted_cam(model, INPUTS, LABELS, 'backbone.stages.0')
    assert early.shape == (3, 32, 32)
    assert not any(p.grad is not None for p in model.parameters())


def test_upsample_cams():
    cams = torch.arange(4.).reshape(1, 2, 2)
    up = upsample_cams(cams, (4, 6))
    assert up.shape == (1, 4, 6)
    assert up.min() >= 0 and up.max() <= 3


@pytest.mark.parametrize('parts,match', [
    (dict(head=dict(type='StackedLinearClsHead', num_classes=5,
                    in_channels=12, mid_channels=[7])),
     'StackedLinearClsHead'),
    (dict(backbone=dict(type='ResNet', depth=18, in_channels=1)),
     'ResNet.*ConvNeXt with gap_before_final_norm'),
])
def test_models_without_cam_raise_naming_their_parts(parts, match):
    model = build(**parts)
    with pytest.raises(ValueError, match=match):
        check_cam_model(model)
    with pytest.raises(ValueError, match='CAM is undefined'):
        class_activation_maps(model, INPUTS, LABELS)


def test_bad_layer_and_label_are_named():
    model = gap_model()
    with pytest.raises(ValueError, match="layer='backbone.stage9'"):
        gradient_weighted_cam(model, INPUTS, LABELS, 'backbone.stage9')
    with pytest.raises(ValueError, match="layer='backbone'.*tuple"):
        gradient_weighted_cam(model, INPUTS, LABELS, 'backbone')
    with pytest.raises(ValueError, match='label 7'):
        class_activation_maps(model, INPUTS, torch.tensor([7, 0, 0]))
    with pytest.raises(ValueError, match='label 5'):
        gradient_weighted_cam(model, INPUTS, torch.tensor([0, 5, 0]),
                              'backbone.stages.0')
