import pytest
import torch
from mmpretrain.structures import DataSample
from torch import nn

import mmlt  # noqa: F401
from mmlt.registry import MODELS


@MODELS.register_module(force=True)
class _RecordingLoss(nn.Module):
    """Records what the head passes (test helper)."""

    def __init__(self):
        super().__init__()
        self.seen = {}

    def forward(self, cls_score, label, weight=None, avg_factor=None,
                reduction_override=None, class_counts=None, group_id=None):
        self.seen = dict(class_counts=class_counts, group_id=group_id,
                         avg_factor=avg_factor)
        return nn.functional.cross_entropy(cls_score, label)


@MODELS.register_module(force=True)
class _FeatsLoss(nn.Module):

    def __init__(self):
        super().__init__()
        self.seen = None

    def forward(self, cls_score, label, feats=None, **kwargs):
        self.seen = (feats, sorted(kwargs))
        return cls_score.sum() * 0


def samples(labels, groups=None):
    out = []
    for i, label in enumerate(labels):
        s = DataSample().set_gt_label(label)
        if groups is not None and groups[i] is not None:
            s.set_field(groups[i], 'group_id', field_type='metainfo')
        out.append(s)
    return out


def build(loss):
    return MODELS.build(
        dict(type='LTLinearClsHead', num_classes=3, in_channels=4, loss=loss))


def test_head_passes_counts_and_groups_the_loss_names():
    head = build(dict(type='_RecordingLoss'))
    head.set_class_counts([5, 3, 1])
    feats = (torch.randn(3, 4), )
    losses = head.loss(feats, samples([0, 1, 2], [1, None, torch.tensor(2)]))
    assert torch.isfinite(losses['loss'])
    seen = head.loss_module.seen
    assert seen['class_counts'].tolist() == [5, 3, 1]
    # a sample without group id is group 0
    assert seen['group_id'].tolist() == [1, 0, 2]
    assert seen['group_id'].dtype == torch.long


def test_head_passes_everything_to_var_keyword_losses():
    head = build(dict(type='_FeatsLoss'))
    head.set_class_counts([1, 1, 1])
    x = torch.randn(2, 4)
    head.loss((x, ), samples([0, 2]))
    feats, keys = head.loss_module.seen
    assert torch.equal(feats, x)
    assert keys == ['avg_factor', 'class_counts', 'group_id']


def test_mmpretrain_losses_get_nothing_extra():
    head = build(dict(type='FocalLoss'))
    losses = head.loss((torch.randn(2, 4), ), samples([0, 2], [1, 1]))
    assert torch.isfinite(losses['loss'])


def test_counts_are_a_saved_buffer_and_validated():
    head = build(dict(type='CrossEntropyLoss'))
    assert not head.class_counts_known
    head.set_class_counts([4, 0, 2])
    assert head.class_counts_known
    state = head.state_dict()
    assert state['class_counts'].tolist() == [4, 0, 2]
    other = build(dict(type='CrossEntropyLoss'))
    other.load_state_dict(state)
    assert other.class_counts.tolist() == [4, 0, 2]
    with pytest.raises(ValueError, match='num_classes=3 but got class '
                       'counts for 2 classes'):
        head.set_class_counts([1, 2])
    with pytest.raises(ValueError, match='non-negative integers'):
        head.set_class_counts([1, -2, 3])
    with pytest.raises(ValueError, match='non-negative integers'):
        head.set_class_counts([1.5, 2, 3])


def test_loss_needing_counts_fails_clearly_when_unset():
    head = build(dict(type='_RecordingLoss'))
    with pytest.raises(RuntimeError, match='LongTailContextHook'):
        head.loss((torch.randn(2, 4), ), samples([0, 1]))


def test_predict_is_unchanged():
    head = build(dict(type='CrossEntropyLoss'))
    out = head.predict((torch.randn(2, 4), ))
    assert out[0].pred_score.shape == (3, )
