import pytest
import torch

import mmlt  # noqa: F401
from mmlt.models.losses import (check_class_counts, effective_number_weights,
                                inverse_power_weights)
from mmlt.models.losses.utils import hard_label, reduce_loss_with_weight


def test_class_counts_are_validated():
    assert check_class_counts([3, 1], 2).dtype == torch.float64
    with pytest.raises(ValueError, match=r'class\(es\) \[1, 3\] have none'):
        check_class_counts([5, 0, 2, 0], 4)
    with pytest.raises(ValueError, match='counts for 3 classes but the '
                       'scores have 4'):
        check_class_counts([1, 2, 3], 4)
    with pytest.raises(ValueError, match='non-negative'):
        check_class_counts([1, -2])
    with pytest.raises(ValueError, match='1-D'):
        check_class_counts([[1, 2]])


def test_class_weights_sum_to_num_classes():
    counts = torch.tensor([500., 50., 5.])
    for weights in (effective_number_weights(counts, 0.9999),
                    inverse_power_weights(counts, 0.5)):
        assert weights.sum().item() == pytest.approx(3)
        assert weights[0] < weights[1] < weights[2]
    # beta = 0: every class counts once; power 0: equal weights
    assert effective_number_weights(counts, 0).tolist() == [1, 1, 1]
    assert inverse_power_weights(counts, 0).tolist() == [1, 1, 1]
    # beta -> 1 approaches inverse frequency
    torch.testing.assert_close(
        effective_number_weights(counts, 1 - 1e-9),
        inverse_power_weights(counts, 1), rtol=1e-4, atol=0)
    with pytest.raises(ValueError, match='beta=1'):
        effective_number_weights(counts, 1)


def test_hard_label_from_one_hot_scores_or_refused():
    scores = torch.zeros(2, 3)
    assert hard_label(torch.tensor([2, 0]), scores, 'X').tolist() == [2, 0]
    one_hot = torch.tensor([[0., 0., 1.], [1., 0., 0.]])
    assert hard_label(one_hot, scores, 'X').tolist() == [2, 0]
    mixed = torch.tensor([[0., 0.3, 0.7], [1., 0., 0.]])
    with pytest.raises(ValueError, match='X needs hard labels'):
        hard_label(mixed, scores, 'X')
    with pytest.raises(ValueError, match='does not fit scores'):
        hard_label(torch.tensor([0, 1, 2]), scores, 'X')


def test_per_sample_weight_and_reduction():
    loss = torch.tensor([1., 2., 3.])
    w = torch.tensor([2., 1., 0.])
    assert reduce_loss_with_weight(loss, w, 'sum').item() == 4
    assert reduce_loss_with_weight(loss, w, 'mean').item() == pytest.approx(
        4 / 3)
    assert reduce_loss_with_weight(loss, w, 'mean', avg_factor=8).item() \
        == 0.5
    assert reduce_loss_with_weight(loss, w, 'none').tolist() == [2, 2, 0]
    with pytest.raises(ValueError, match='one value per sample'):
        reduce_loss_with_weight(loss, torch.ones(3, 1))


def test_counts_are_validated_once_into_registered_buffers(monkeypatch):
    from mmlt.models.losses import LDAMLoss
    loss = LDAMLoss()
    calls = []
    derive = loss.derive_from_counts
    monkeypatch.setattr(loss, 'derive_from_counts',
                        lambda c: calls.append(c) or derive(c))
    loss.set_class_counts([40, 20, 9, 4, 2])
    z, y = torch.randn(6, 5, dtype=torch.float64), torch.arange(6) % 5
    for _ in range(3):
        loss(z, y)
    assert len(calls) == 1  # derived when received, never in forward
    # a registered, non-persistent buffer: follows the module, not saved
    assert 'margins' in dict(loss.named_buffers())
    assert 'margins' not in loss.state_dict()
    assert loss.margins.dtype == torch.float64
    assert loss.to(torch.float32).margins.dtype == torch.float32
    # float32 buffers still serve float64 scores in float64
    assert loss(z, y, reduction_override='none').dtype == torch.float64


def test_a_loss_without_counts_names_the_way_to_give_them():
    from mmlt.models.losses import CostSensitiveCELoss
    with pytest.raises(RuntimeError, match=r"CostSensitiveCELoss needs the "
                       r"training class counts.*LongTailContextHook.*"
                       r"default_hooks\['long_tail_context'\].*"
                       r'loss\.set_class_counts'):
        CostSensitiveCELoss()(torch.zeros(2, 3), torch.tensor([0, 1]))


def test_losses_that_use_no_counts_ignore_them():
    from mmlt.models.losses import JointFocalCELoss, SoftmaxFocalLoss
    # zero-count classes are refused only by losses that divide by counts
    for loss in (SoftmaxFocalLoss(), JointFocalCELoss()):
        loss.set_class_counts([3, 0, 1])
        assert torch.isfinite(loss(torch.zeros(2, 3), torch.tensor([0, 1])))
    with pytest.raises(ValueError, match=r'class\(es\) \[1\] have none'):
        SoftmaxFocalLoss(alpha='inverse_frequency').set_class_counts(
            [3, 0, 1])
