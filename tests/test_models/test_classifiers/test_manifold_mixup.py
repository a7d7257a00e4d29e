"""ManifoldMixupClassifier: the mixed features and soft labels of a hand
case, the three backbones, eval mode and prediction untouched, the data
samples not modified, the switch-off of BatchAugmentOffHook, bad input."""
import copy
import logging
from types import SimpleNamespace

import pytest
import torch
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.classifiers import ManifoldMixup, mixed_scores
from mmlt.registry import HOOKS, MODELS

pytestmark = pytest.mark.usefixtures('one_thread')

SOFT_CE = dict(type='CrossEntropyLoss', use_soft=True)


def build(backbone, in_channels, stages, num_classes=3, **mixup):
    torch.manual_seed(0)
    # ConvNeXt pools before its last norm: no neck
    neck = None if backbone['type'] == 'ConvNeXt' else dict(
        type='GlobalAveragePooling')
    return MODELS.build(
        dict(type='ManifoldMixupClassifier',
             manifold_mixup=dict(stages=stages, **mixup),
             backbone=backbone,
             neck=neck,
             head=dict(type='LinearClsHead', num_classes=num_classes,
                       in_channels=in_channels, loss=SOFT_CE)))


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


class Captured:
    """Replaces head.loss: keeps what the head was given."""

    def __init__(self, head):
        self.head, self.calls = head, []
        self.original = head.loss

    def __call__(self, feats, data_samples):
        self.calls.append((feats, data_samples))
        return self.original(feats, data_samples)


def test_hand_computed_mix_at_a_resnet_cifar_stage(monkeypatch):
    model = build(dict(type='ResNetCIFARLT', depth=8), 64, 'layer1')
    model.train()
    ref = copy.deepcopy(model)
    x = torch.randn(3, 3, 16, 16)
    lam, perm = 0.3, torch.tensor([2, 0, 1])
    monkeypatch.setattr(ManifoldMixup, 'draw',
                        lambda self, n, device: ('layer1', lam, perm))
    capture = Captured(model.head)
    monkeypatch.setattr(model.head, 'loss', capture)
    given = samples([0, 1, 2])
    model.loss(x, given)
    feats, mixed = capture.calls[0]
    # the reference: the backbone by hand, mixed after layer1
    bb = ref.backbone
    h = bb.layer1(bb.relu(bb.bn1(bb.conv1(x))))
    h = lam * h + (1 - lam) * h[perm]
    expected = ref.neck(bb.layer3(bb.layer2(h)))
    torch.testing.assert_close(feats[-1], expected)
    # labels 0 1 2, partners 2 0 1: 0.3 own + 0.7 partner
    torch.testing.assert_close(
        torch.stack([s.gt_score for s in mixed]),
        torch.tensor([[0.3, 0.0, 0.7], [0.7, 0.3, 0.0], [0.0, 0.7, 0.3]]))
    # the given samples are untouched (SAM re-runs them)
    assert all('gt_score' not in s for s in given)
    # without mixing, the features differ
    plain = ref.neck(bb.layer3(bb.layer2(bb.layer1(bb.relu(bb.bn1(
        bb.conv1(x)))))))
    assert not torch.allclose(plain[-1], expected)


def test_soft_labels_of_an_input_mixup_are_mixed_further():
    s = samples([0, 1])
    s[0].set_gt_score(torch.tensor([0.5, 0.5, 0.0]))
    scores = mixed_scores(s, 0.25, torch.tensor([1, 0]), 3)
    torch.testing.assert_close(
        scores, torch.tensor([[0.125, 0.875, 0.0], [0.375, 0.625, 0.0]]))


@pytest.mark.parametrize('backbone,channels,stage', [
    (dict(type='ResNet', depth=18), 512, 'layer2'),
    (dict(type='ConvNeXt', arch='atto'), 320, 'stages.1'),
    (dict(type='ResNetCIFARLT', depth=8), 64, ['layer1', 'layer2']),
])
def test_trains_on_mmpretrain_backbones_eval_untouched(backbone, channels,
                                                       stage):
    model = build(backbone, channels, stage)
    x, given = torch.randn(4, 3, 32, 32), samples([0, 1, 2, 0])
    # one-hot gt_score, as the data preprocessor makes them (to_onehot)
    for sample in given:
        sample.set_gt_score(torch.eye(3)[sample.gt_label[0]])
    onehot = [s.gt_score.clone() for s in given]
    fired = []
    name = stage if isinstance(stage, str) else stage[0]
    model.backbone.get_submodule(name).register_forward_hook(
        lambda *a: fired.append(True))
    model.train()
    torch.manual_seed(1)
    loss = model.loss(x, given)['loss']
    assert torch.isfinite(loss) and fired
    loss.backward()
    # eval mode and prediction: the plain ImageClassifier
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(x)
        assert torch.equal(model.loss(x, given)['loss'],
                           model.head.loss(feats, given)['loss'])
        mixup, model.manifold_mixup = model.manifold_mixup, None
        pred = model.predict(x)
        model.manifold_mixup = mixup
        again = model.predict(x)
    assert all(torch.equal(a.pred_score, b.pred_score)
               for a, b in zip(pred, again))
    assert all(torch.equal(s.gt_score, o) for s, o in zip(given, onehot))


def test_batch_augment_off_hook_switches_manifold_mixup_off():
    model = build(dict(type='ResNetCIFARLT', depth=8), 64, 'layer2')
    mixup = model.manifold_mixup
    # no input batch augments: manifold mixup alone is enough
    assert model.data_preprocessor.batch_augments is None
    hook = HOOKS.build(dict(type='BatchAugmentOffHook', num_last_epochs=2))
    runner = SimpleNamespace(model=model, epoch=0,
                             train_loop=SimpleNamespace(max_epochs=5),
                             logger=logging.getLogger('test_manifold'))
    hook.before_train(runner)
    states = []
    for epoch in (0, 2, 3, 4, 1):  # a resume goes back to the epoch's state
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        states.append(model.manifold_mixup)
    assert states == [mixup, mixup, None, None, mixup]


def test_bad_arguments_name_the_value():
    resnet = dict(type='ResNetCIFARLT', depth=8)
    with pytest.raises(ValueError, match=r"'layer9'.*'layer1', 'layer2'"):
        build(resnet, 64, 'layer9')
    with pytest.raises(ValueError, match='alpha=0'):
        build(resnet, 64, 'layer1', alpha=0)
    with pytest.raises(TypeError, match='stages=5'):
        build(resnet, 64, 5)
    with pytest.raises(TypeError, match='manifold_mixup='):
        MODELS.build(dict(type='ManifoldMixupClassifier',
                          manifold_mixup='layer1', backbone=resnet,
                          head=dict(type='LinearClsHead', num_classes=3,
                                    in_channels=64)))
