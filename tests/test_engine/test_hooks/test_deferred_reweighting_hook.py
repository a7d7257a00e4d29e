import pytest
import torch

from mmlt.engine.hooks import drw_class_weight
from mmlt.models.losses import effective_number_weights
from mmlt.registry import HOOKS
from .schedule_helpers import Classifier, fake_runner, run_epochs

COUNTS = torch.tensor([30, 10, 2])


def test_switch_epoch_is_the_first_reweighted_one():
    assert drw_class_weight(COUNTS, 159, 160, 0.9999) is None
    # float64, exactly the effective-number weights (no float32 rounding)
    assert torch.equal(drw_class_weight(COUNTS, 160, 160, 0.9999),
                       effective_number_weights(COUNTS, 0.9999))
    assert drw_class_weight(COUNTS, 160, 160, 0.9999).dtype == torch.float64
    assert drw_class_weight(COUNTS, 199, 160, 0.9999) is not None
    with pytest.raises(ValueError, match='have none'):
        drw_class_weight(torch.tensor([3, 0, 1]), 5, 0, 0.9999)


@pytest.mark.parametrize('loss', [
    dict(type='CrossEntropyLoss', class_weight=[1.0, 2.0, 3.0]),
    dict(type='LabelSmoothLoss', label_smooth_val=0.1),
    dict(type='LDAMLoss'),
])
def test_weights_follow_the_epoch_and_restore_the_loss_own(loss):
    model = Classifier(loss)
    own = getattr(model.head.loss_module, 'class_weight', None)
    if own is None and hasattr(model.head.loss_module, 'ce'):
        own = model.head.loss_module.ce.class_weight
    hook = HOOKS.build(dict(type='DeferredReweightingHook', start_epoch=0.5,
                            beta=0.999))
    runner = fake_runner(model, max_epochs=4)
    cb = effective_number_weights(COUNTS, 0.999).float().tolist()
    seen = []
    for _ in run_epochs(hook, runner, [0, 1, 2, 3, 1]):
        loss_module = model.head.loss_module
        weight = getattr(loss_module, 'ce', loss_module).class_weight
        seen.append(None if weight is None else list(map(float, weight)))
    own = None if own is None else list(map(float, own))
    assert seen[:2] == [own, own]
    assert seen[2] == pytest.approx(cb) and seen[3] == pytest.approx(cb)
    assert seen[4] == own  # going back (a resume before the switch) restores


@pytest.mark.parametrize('loss', ['LDAMLoss', 'SoftmaxFocalLoss'])
def test_mmlt_losses_get_the_weights_in_float64(loss):
    model = Classifier(dict(type=loss))
    hook = HOOKS.build(dict(type='DeferredReweightingHook', start_epoch=1))
    runner = fake_runner(model, max_epochs=2)
    list(run_epochs(hook, runner, [1]))
    weight = model.head.loss_module.class_weight
    assert weight.dtype == torch.float64
    assert torch.equal(weight, effective_number_weights(COUNTS, 0.9999))


def test_unsupported_loss_is_refused_when_training_starts():
    hook = HOOKS.build(dict(type='DeferredReweightingHook'))
    runner = fake_runner(Classifier(dict(type='FocalLoss')))
    # the losses it can re-weight come from the registry (ClassWeightMixin)
    with pytest.raises(TypeError, match=r'cannot re-weight FocalLoss: use a '
                       r'loss with set_class_weight \(.*BalancedSoftmaxLoss, '
                       r'.*LDAMLoss, .*SoftmaxFocalLoss.*\) or MMPretrain'):
        list(run_epochs(hook, runner, [0]))
    with pytest.raises(ValueError, match='beta=1'):
        HOOKS.build(dict(type='DeferredReweightingHook', beta=1))
    with pytest.raises(ValueError, match='start_epoch=1.5'):
        HOOKS.build(dict(type='DeferredReweightingHook', start_epoch=1.5))


def test_reaches_the_loss_through_ddp(tmp_path):
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0,
        world_size=1)
    try:
        model = Classifier(dict(type='LDAMLoss'))
        wrapped = MMDistributedDataParallel(model, device_ids=None)
        hook = HOOKS.build(dict(type='DeferredReweightingHook',
                                start_epoch=1))
        runner = fake_runner(wrapped)
        list(run_epochs(hook, runner, [0, 1]))
        assert model.head.loss_module.class_weight is not None
        curriculum = HOOKS.build(
            dict(type='GroupWeightCurriculumHook', schedule={0: 1.0, 1: 3.0}))
        list(run_epochs(curriculum, runner, [1]))
        assert model.head.group_weight == {1: 3.0}
    finally:
        dist.destroy_process_group()


def test_without_the_long_tail_context_it_says_where_counts_come_from():
    hook = HOOKS.build(dict(type='DeferredReweightingHook', start_epoch=1))
    with pytest.raises(RuntimeError, match='LongTailContextHook'):
        hook.before_train(fake_runner(Classifier(dict(type='LDAMLoss'))))


@pytest.mark.parametrize('loss', [
    dict(type='CrossEntropyLoss'),
    dict(type='LabelSmoothLoss', label_smooth_val=0.1),
])
def test_post_hoc_logit_adjustment_is_refused_when_training_starts(loss):
    """The class-weighted phase makes the logits those of a re-weighted
    loss, which the head refuses the adjustment on when it is built."""
    model = Classifier(loss, logit_adjust_tau=0.5)
    hook = HOOKS.build(dict(type='DeferredReweightingHook', start_epoch=1))
    for start in (lambda: list(run_epochs(hook, fake_runner(model), [0])),
                  lambda: hook.before_test(fake_runner(model))):
        with pytest.raises(ValueError) as info:
            start()
        message = str(info.value)
        assert 'DeferredReweightingHook(start_epoch=1)' in message
        assert 'LTLinearClsHead has logit_adjust_tau=0.5' in message
        assert loss['type'] in message
        assert 'default_hooks.drw=None' in message
        assert 'model.head.logit_adjust_any_loss=True' in message
    # refused before anything was re-weighted
    loss_module = model.head.loss_module
    assert getattr(loss_module, 'ce', loss_module).class_weight is None


def test_post_hoc_logit_adjustment_with_the_opt_in_is_reweighted():
    model = Classifier(dict(type='CrossEntropyLoss'), logit_adjust_tau=0.5,
                       logit_adjust_any_loss=True)
    hook = HOOKS.build(dict(type='DeferredReweightingHook', start_epoch=1))
    hook.before_test(fake_runner(model))
    list(run_epochs(hook, fake_runner(model, max_epochs=2), [0, 1]))
    assert model.head.loss_module.class_weight is not None
    # without the adjustment, or without a head (an ensemble test), nothing
    # is asked at test time
    plain = Classifier(dict(type='CrossEntropyLoss'))
    hook.before_test(fake_runner(plain))
    hook.before_test(fake_runner(torch.nn.Linear(2, 2)))


def test_post_hoc_logit_adjustment_refused_through_a_wrapper_head():
    from mmlt.registry import MODELS
    model = Classifier(dict(type='CrossEntropyLoss'))
    model.head = MODELS.build(dict(
        type='GroupMultiTaskHead', num_groups=2,
        head=dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
                  logit_adjust_tau=1.0, loss=dict(type='CrossEntropyLoss'))))
    model.head.set_class_counts([30, 10, 2])
    hook = HOOKS.build(dict(type='DeferredReweightingHook', start_epoch=1))
    with pytest.raises(ValueError, match='logit_adjust_tau=1.0'):
        list(run_epochs(hook, fake_runner(model), [0]))
