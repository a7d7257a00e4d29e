"""Post-hoc logit adjustment after a re-sampled stage: refused, since the
classifier trained with class-balanced sampling (cRT, LWS, DRS's deferred
phase) already carries no training prior, and z - tau*log(pi) would remove
it a second time; logit_adjust_any_loss=True (a tau tuned on validation
data) lets it through."""
import os.path as osp
from types import SimpleNamespace

import pytest
from mmengine.config import Config

from mmlt.engine.hooks.resampled_prior import (config_resampling_refusal,
                                               resampled_prior_refusal,
                                               sampler_strategy)
from mmlt.registry import HOOKS

from .schedule_helpers import Classifier, fake_runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
STAGE2 = ('crt', 'lws')


def test_sampler_strategy_reads_the_config():
    assert sampler_strategy(dict(type='RebalancedSampler')) == \
        'class_balanced'
    assert sampler_strategy(dict(type='RebalancedSampler',
                                 strategy='sqrt')) == 'sqrt'
    assert sampler_strategy(dict(type='ClassAwareSampler')) == \
        'class_balanced'
    assert sampler_strategy(dict(type='DefaultSampler',
                                 shuffle=True)) == 'instance'
    assert sampler_strategy(dict(type='SomeoneElsesSampler')) is None
    assert sampler_strategy(None) is None


def test_only_instance_sampling_keeps_the_prior():
    assert resampled_prior_refusal('instance') is None
    assert resampled_prior_refusal(None) is None
    assert 'a second time' in resampled_prior_refusal('class_balanced')
    assert "'sqrt' sampling" in resampled_prior_refusal('sqrt')


def _runner(model, config):
    runner = fake_runner(model)
    runner.cfg = Config.fromfile(config)
    return runner


@pytest.mark.parametrize('method', STAGE2)
def test_crt_and_lws_refuse_posthoc_adjustment(method):
    """The repository's stage-2 configs (class-balanced sampling) with the
    adjustment the cross-entropy row is tested with."""
    config = osp.join(ROOT, 'configs', 'two_stage',
                      f'{method}_resnet20_1xb128_fashion-mnist-lt1k-'
                      'ir100.py')
    hook = HOOKS.build(dict(Config.fromfile(config).default_hooks
                            .classifier_retrain))
    model = Classifier(dict(type='CrossEntropyLoss'), logit_adjust_tau=1.0)
    for start in (hook.before_test, hook.before_train):
        with pytest.raises(ValueError) as info:
            start(_runner(model, config))
        message = str(info.value)
        assert "strategy 'class_balanced'" in message
        assert 'LTLinearClsHead has logit_adjust_tau=1.0' in message
        assert 'a second time' in message
        assert 'model.head.logit_adjust_any_loss=True' in message
    # a tau tuned on validation data for this model, or no adjustment
    tuned = Classifier(dict(type='CrossEntropyLoss'), logit_adjust_tau=0.3,
                       logit_adjust_any_loss=True)
    hook.before_test(_runner(tuned, config))
    hook.before_test(_runner(Classifier(dict(type='CrossEntropyLoss')),
                             config))


def test_instance_sampled_stage_two_keeps_the_adjustment():
    config = osp.join(ROOT, 'configs', 'baselines',
                      'resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py')
    hook = HOOKS.build(dict(type='ClassifierRetrainHook'))
    model = Classifier(dict(type='CrossEntropyLoss'), logit_adjust_tau=1.0)
    hook.before_test(_runner(model, config))


def test_drs_refuses_posthoc_adjustment_unless_instance():
    model = Classifier(dict(type='CrossEntropyLoss'), logit_adjust_tau=1.0)
    hook = HOOKS.build(dict(type='DeferredResamplingHook', switch_epoch=0.8))
    with pytest.raises(ValueError, match=r"DeferredResamplingHook\("
                       r"switch_epoch=0.8\) switches the sampler to "
                       r"'class_balanced'"):
        hook.before_test(fake_runner(model))
    runner = fake_runner(model)
    runner.train_dataloader = SimpleNamespace(sampler=SimpleNamespace(
        set_strategy=None, strategy='instance', q=None))
    with pytest.raises(ValueError, match='a second time'):
        hook.before_train(runner)
    HOOKS.build(dict(type='DeferredResamplingHook', switch_epoch=0.8,
                     strategy='instance')).before_test(fake_runner(model))


def test_a_config_says_what_its_hooks_would_refuse():
    """For tools that advise a tau without running the hooks (the method
    advisor): the stage-2 and DRS configs refuse, the baseline not."""
    from mmlt.analysis.advice.inputs import head_settings
    configs = osp.join(ROOT, 'configs')
    stem = '_resnet20_1xb128_fashion-mnist-lt1k-ir100.py'
    for path in (f'two_stage/crt{stem}', f'two_stage/lws{stem}',
                 f'samplers/drs{stem}'):
        cfg = Config.fromfile(osp.join(configs, path))
        assert 'a second time' in config_resampling_refusal(cfg), path
        assert 'a second time' in head_settings(cfg).logit_adjust_refusal
    base = Config.fromfile(osp.join(
        configs, 'baselines', 'resnet20_ce_1xb128_fashion-mnist-lt1k-'
        'ir100.py'))
    assert config_resampling_refusal(base) is None
    assert head_settings(base).logit_adjust_refusal is None
    # a DRS hook that switches to instance sampling refuses nothing
    instance = dict(default_hooks=dict(drs=dict(
        type='DeferredResamplingHook', switch_epoch=0.8,
        strategy='instance')))
    assert config_resampling_refusal(instance) is None
