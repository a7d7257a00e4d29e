"""A new loss is four files: the loss file, its registration, its test case
and its config (with its configs README and metafile row). What the rest of
mmlt needs to know of a loss it reads from the loss's class (``extra_inputs``,
``logit_kind``, ``ClassWeightMixin``) or from the registry; the tests here fail
when a registered loss misses one of the places a person must fill in (a test
case, a declared logit kind, its row in docs/reference.md), and walk a toy
loss through docs/architecture.md's "A loss" steps to keep them true.
"""
import inspect
import logging
import os
import os.path as osp
import re
from types import SimpleNamespace
from typing import Dict, List, Optional

import pytest
import torch
from mmpretrain.structures import DataSample
from torch import Tensor, nn

import mmlt  # noqa: F401
from mmlt.models.losses import (LOGIT_KINDS, BaseLTLoss, ClassWeightMixin,
                                class_weighted_losses)
from mmlt.models.losses.utils import cross_entropy_per_sample
from mmlt.registry import HOOKS, MODELS
from mmlt.structures import LongTailContext
from .test_classification_losses import CASES

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def mmlt_losses() -> Dict[str, type]:
    """Every loss class mmlt registers, by name (classes on ``BaseLTLoss``
    defined in mmlt; test helpers are defined elsewhere)."""
    return {
        name: cls
        for name, cls in MODELS.module_dict.items()
        if inspect.isclass(cls) and issubclass(cls, BaseLTLoss)
        and cls.__module__.startswith('mmlt.')
    }


def test_the_registry_holds_mmlts_losses():
    assert {'LDAMLoss', 'InfluenceBalancedLoss', 'BalancedSoftmaxLoss'} <= \
        set(mmlt_losses())


def _own_test_file(name: str) -> Optional[str]:
    """``test_<snake_name>.py`` anywhere under tests/, or None."""
    filename = 'test_%s.py' % re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()
    for dirpath, _, files in os.walk(osp.join(ROOT, 'tests')):
        if filename in files:
            return osp.join(dirpath, filename)
    return None


@pytest.mark.parametrize('name', sorted(mmlt_losses()))
def test_every_registered_loss_has_a_test_case(name):
    """A classification loss has an entry in test_classification_losses'
    ``CASES`` (its paper equation and the shared invariants); a loss of
    another shape (e.g. a heatmap loss) its own ``test_<snake_name>.py``."""
    cased = {case.cfg['type'] for case in CASES.values()}
    assert name in cased or _own_test_file(name), (
        f'{name} is registered but has no test case: add a Case to CASES '
        'in tests/test_models/test_losses/test_classification_losses.py')


@pytest.mark.parametrize('name', sorted(mmlt_losses()))
def test_every_registered_loss_declares_its_logit_kind(name):
    """The head's refusal of post-hoc logit adjustment quotes it; a loss
    without one would be refused with a generic reason."""
    cls = mmlt_losses()[name]
    assert cls.logit_kind in LOGIT_KINDS, (
        f'{name} must declare logit_kind (one of {sorted(LOGIT_KINDS)}) '
        'and logit_kind_how in its class')


def reference_loss_table() -> List[str]:
    """The loss names of the table under "Losses" in docs/reference.md
    (backquoted names of its first column)."""
    with open(osp.join(ROOT, 'docs', 'reference.md'), encoding='utf-8') as f:
        lines = f.read().splitlines()
    start = next(i for i, line in enumerate(lines)
                 if re.match(r'\|\s*loss\s*\|', line))
    names = []
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        names += re.findall(r'`(\w+)`', line.split('|')[1])
    return names


def test_the_reference_loss_table_lists_every_registered_loss():
    table = reference_loss_table()
    missing = sorted(set(mmlt_losses()) - set(table))
    assert not missing, (f'docs/reference.md\'s loss table has no row for '
                         f'{missing}')
    unknown = sorted(n for n in table if n not in MODELS.module_dict)
    assert not unknown, f'docs/reference.md lists unregistered {unknown}'


# ----------------------------------------------- docs/architecture.md's walk
# Step 1, the loss file: subclass BaseLTLoss (with ClassWeightMixin for class
# weights a hook may switch), declare what the head passes and what the loss
# leaves in the logits, write the per-sample loss. Step 2, its registration.
@MODELS.register_module(name='_WalkthroughToyLoss', force=True)
class _WalkthroughToyLoss(ClassWeightMixin, BaseLTLoss):
    """Cross-entropy that records the extra inputs it got (test helper)."""

    extra_inputs = ('feats', 'group_id')
    logit_kind = 'reweighted'
    logit_kind_how = 'weights each class by the toy weights'

    def per_sample_loss(self, logits: Tensor, label: Tensor,
                        feats: Optional[Tensor] = None,
                        group_id: Optional[Tensor] = None) -> Tensor:
        self.seen = dict(feats=feats, group_id=group_id)
        return cross_entropy_per_sample(logits, label,
                                        self.class_weight_for(logits))


class _Classifier(nn.Module):
    """Just enough of an ImageClassifier for a schedule hook."""

    def __init__(self, loss: dict) -> None:
        super().__init__()
        self.head = MODELS.build(
            dict(type='LTLinearClsHead', num_classes=3, in_channels=4,
                 loss=loss))


def _samples(labels, groups):
    samples = []
    for label, group in zip(labels, groups):
        sample = DataSample().set_gt_label(label)
        sample.set_field(group, 'group_id', field_type='metainfo')
        samples.append(sample)
    return samples


def test_a_new_loss_needs_only_its_class_and_registration():
    """Step 3, its test case: the head passes what the loss declares,
    deferred re-weighting switches its class weights, the post-hoc logit
    adjustment is refused with its declared reason, and the lists that
    name losses include it; no other list was edited."""
    model = _Classifier(dict(type='_WalkthroughToyLoss'))
    head, loss = model.head, model.head.loss_module
    counts = [30, 10, 2]
    head.set_class_counts(counts)
    x = torch.randn(3, 4)
    head.loss((x, ), _samples([0, 1, 2], [1, 0, 2]))
    assert torch.equal(loss.seen['feats'], x)
    assert loss.seen['group_id'].tolist() == [1, 0, 2]

    hook = HOOKS.build(dict(type='DeferredReweightingHook', start_epoch=1))
    hook.set_long_tail_context(LongTailContext(counts))
    runner = SimpleNamespace(
        model=model, epoch=0, train_loop=SimpleNamespace(max_epochs=2),
        logger=logging.getLogger('test_loss_registry'))
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    assert loss.class_weight is None
    runner.epoch = 1
    hook.before_train_epoch(runner)
    assert loss.class_weight is not None
    assert '_WalkthroughToyLoss' in class_weighted_losses()

    with pytest.raises(ValueError, match='_WalkthroughToyLoss weights each '
                       'class by the toy weights, so the logits reflect a '
                       're-weighted class distribution'):
        MODELS.build(dict(type='LTLinearClsHead', num_classes=3,
                          in_channels=4, logit_adjust_tau=1.0,
                          loss=dict(type='_WalkthroughToyLoss')))


def test_a_misdeclared_loss_fails_when_its_class_is_defined():
    with pytest.raises(TypeError, match=r"_Typo.extra_inputs=\('feat',\)"):

        class _Typo(BaseLTLoss):
            extra_inputs = ('feat', )

    with pytest.raises(TypeError, match="_Kind.logit_kind='calibrated' must "
                       'be one of'):

        class _Kind(BaseLTLoss):
            logit_kind = 'calibrated'
