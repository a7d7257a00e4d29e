"""LTLinearClsHead's logit_bias and group_logit_bias: added to the logits
by predict only, for every image or only a group's; not in checkpoints."""
import pytest
import torch
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.registry import MODELS
from mmlt.structures import GroupIdError


def build(**kwargs):
    return MODELS.build(dict(type='LTLinearClsHead', num_classes=3,
                             in_channels=4,
                             loss=dict(type='CrossEntropyLoss'), **kwargs))


def predicted(head, feats, groups=None):
    samples = None
    if groups is not None:
        samples = []
        for g in groups:
            samples.append(DataSample())
            samples[-1].set_field(torch.tensor(g), 'group_id')
    out = head.predict((feats, ), samples)
    return torch.stack([s.pred_score for s in out])


def test_logit_bias_is_added_at_prediction_only():
    torch.manual_seed(0)
    plain = build()
    biased = build(logit_bias=[1.0, -2.0, 0.5])
    biased.load_state_dict(plain.state_dict())  # strict: no new key
    assert '_logit_bias' not in biased.state_dict()
    feats = torch.randn(6, 4)
    logits = plain.fc(feats)
    torch.testing.assert_close(
        predicted(biased, feats),
        torch.softmax(logits + torch.tensor([1.0, -2.0, 0.5]), 1))
    # training is unchanged
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    torch.testing.assert_close(biased.loss((feats, ), samples)['loss'],
                               plain.loss((feats, ), samples)['loss'])


def test_group_logit_bias_touches_only_its_group():
    torch.manual_seed(0)
    plain = build()
    head = build(group_logit_bias={'1': [0.0, 0.0, 5.0]})
    head.load_state_dict(plain.state_dict())
    assert head.group_logit_bias == {1: [0.0, 0.0, 5.0]}
    feats = torch.randn(4, 4)
    logits = plain.fc(feats)
    add = torch.tensor([[0., 0, 0], [0, 0, 5], [0, 0, 0], [0, 0, 5]])
    torch.testing.assert_close(predicted(head, feats, [0, 1, 2, 1]),
                               torch.softmax(logits + add, 1))
    with pytest.raises(GroupIdError, match=r'group_logit_bias for groups '
                       r'\[1\]\) needs the group_id'):
        predicted(head, feats)


def test_with_logit_adjustment_both_apply():
    torch.manual_seed(0)
    head = build(logit_adjust_tau=1.0, logit_bias=[0.2, 0.0, -0.2])
    head.set_class_counts([50, 10, 5])
    feats = torch.randn(3, 4)
    prior = torch.tensor([50., 10, 5]) / 65
    expected = head.fc(feats) - torch.log(prior) + torch.tensor(
        [0.2, 0.0, -0.2])
    torch.testing.assert_close(predicted(head, feats),
                               torch.softmax(expected, 1))


@pytest.mark.parametrize('kwargs, message', [
    (dict(logit_bias=[1.0, 2.0]), 'logit_bias has 2 values but the head '
     'has num_classes=3'),
    (dict(logit_bias=[1.0, float('nan'), 0.0]), r'logit_bias\[1\]=nan'),
    (dict(logit_bias='1,2,3'), "logit_bias='1,2,3' must be a list"),
    (dict(logit_bias=[True, 0, 0]), r'logit_bias\[0\]=True'),
    (dict(group_logit_bias=[1, 2, 3]), 'must be a dict'),
    (dict(group_logit_bias={-1: [0, 0, 0]}), 'key -1 must be an integer'),
    (dict(group_logit_bias={0: [0, 0]}), r'group_logit_bias\[0\] has 2'),
])
def test_bad_biases_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build(**kwargs)


def test_the_exported_scores_include_the_bias():
    """The export's graph (``ScoresModule``: extract_feat and the head's
    predict up to the softmax) carries logit_bias."""
    from mmlt.deploy.exportable import ScoresModule

    class Stub(torch.nn.Module):

        def __init__(self, head):
            super().__init__()
            self.head = head

        def extract_feat(self, inputs):
            return (inputs, )

    torch.manual_seed(0)
    head = build(logit_bias=[3.0, 0.0, -3.0])
    feats = torch.randn(5, 4)
    with torch.no_grad():
        scores = ScoresModule(Stub(head))(feats)
    torch.testing.assert_close(
        scores, torch.softmax(head.fc(feats) + torch.tensor(
            [3.0, 0.0, -3.0]), 1))
