"""The post-hoc logit adjustment after a re-sampled training stage: refused,
since the classifier's logits no longer carry the training prior.

The adjustment ``z − τ·log π`` (Menon et al., ICLR 2021) removes the prior
π that softmax cross-entropy leaves in the logits: trained on samples drawn
with class probabilities π, the softmax estimates
:math:`p(y|x) \\propto p(x|y)\\,\\pi_y`, so subtracting :math:`\\log \\pi_y`
leaves :math:`\\log p(x|y)`, the balanced error's Bayes classifier. A
classifier trained with class-balanced sampling (cRT's and LWS's stage 2,
Kang et al. ICLR 2020; the deferred phase of DRS) saw every class equally
often: its softmax already estimates :math:`p(x|y)` up to a constant, and
subtracting :math:`\\log \\pi_y` again would divide by the prior a second
time, pushing predictions to the rare classes by as much as cross-entropy
pushed them to the frequent ones. Any other re-sampling strategy (square
root, power, progressive) leaves a prior that is neither π nor uniform, for
which τ = 1 has no justification either. So the hooks that train a stage
under such a sampler refuse a head with ``logit_adjust_tau`` > 0, unless
``logit_adjust_any_loss=True`` says that τ was tuned on validation data for
that model (as the loss-based refusal of the head).
"""
from typing import Any, Optional

__all__ = ['config_resampling_refusal', 'refuse_posthoc_after_resampling',
           'resampled_prior_refusal', 'sampler_strategy']

# samplers that draw every class equally often, by their registered name
_CLASS_BALANCED_SAMPLERS = ('ClassAwareSampler', )
# samplers that draw the training set as it is
_INSTANCE_SAMPLERS = ('DefaultSampler', 'InfiniteSampler')


def sampler_strategy(sampler_cfg: Any) -> Optional[str]:
    """The class strategy of a training sampler config: ``strategy`` of
    mmlt's ``RebalancedSampler`` (its default ``'class_balanced'`` when the
    config names none), ``'class_balanced'`` for MMPretrain's
    ``ClassAwareSampler``, ``'instance'`` for mmengine's ``DefaultSampler``
    and ``InfiniteSampler``; None for no config or another sampler (not
    known, so not refused)."""
    if not isinstance(sampler_cfg, dict):
        return None
    kind = sampler_cfg.get('type')
    kind = getattr(kind, '__name__', kind)
    if kind == 'RebalancedSampler':
        return sampler_cfg.get('strategy', 'class_balanced')
    if kind in _CLASS_BALANCED_SAMPLERS:
        return 'class_balanced'
    if kind in _INSTANCE_SAMPLERS:
        return 'instance'
    return None


def resampled_prior_refusal(strategy: Optional[str]) -> Optional[str]:
    """Why ``z − τ·log π`` does not fit logits trained under re-sampling
    ``strategy``; None for instance sampling (the prior π it removes) or an
    unknown strategy (None)."""
    if strategy is None or strategy == 'instance':
        return None
    if strategy == 'class_balanced':
        return ('the classifier is trained with class-balanced sampling, '
                'so its logits already estimate p(x|y) without the '
                'training prior π: subtracting τ·log π would correct for it '
                'a second time')
    return (f'the classifier is trained with {strategy!r} sampling, so its '
            'logits carry the prior of that sampler, not the training '
            'prior π the adjustment removes')


def config_resampling_refusal(cfg: Any) -> Optional[str]:
    """What the hooks of a config (a dict or mmengine ``Config``) would
    refuse the post-hoc adjustment for: the training sampler's strategy
    when ``default_hooks`` trains a classifier stage
    (``ClassifierRetrainHook``), the strategy ``DeferredResamplingHook``
    switches to; None when neither re-balances (for tools that advise a
    ``logit_adjust_tau`` without running the hooks)."""
    hooks = [h for h in (cfg.get('default_hooks') or {}).values()
             if isinstance(h, dict)]
    kinds = {getattr(h.get('type'), '__name__', h.get('type')): h
             for h in hooks}
    if 'DeferredResamplingHook' in kinds:
        reason = resampled_prior_refusal(
            kinds['DeferredResamplingHook'].get('strategy',
                                                'class_balanced'))
        if reason:
            return reason
    if 'ClassifierRetrainHook' in kinds:
        loader = cfg.get('train_dataloader') or {}
        return resampled_prior_refusal(sampler_strategy(
            loader.get('sampler')))
    return None


def refuse_posthoc_after_resampling(head: Any, strategy: Optional[str],
                                    owner: str) -> None:
    """Raise if ``head`` predicts with the post-hoc logit adjustment after a
    stage trained under re-sampling ``strategy`` (``owner`` names the hook
    or setting that trains it so), unless the head's
    ``logit_adjust_any_loss`` is set.

    Raises:
        ValueError: Naming the head's τ, the strategy, why, and the fixes.
    """
    head = getattr(head, 'main_head', head)
    tau = getattr(head, 'logit_adjust_tau', 0.)
    if not tau or getattr(head, 'logit_adjust_any_loss', False):
        return
    reason = resampled_prior_refusal(strategy)
    if reason is None:
        return
    raise ValueError(
        f'{owner}: {type(head).__name__} has logit_adjust_tau={tau}, but '
        f'{reason}. Set model.head.logit_adjust_tau=0 (or train the stage '
        "with instance sampling); for a τ tuned on validation data for this "
        'model, set model.head.logit_adjust_any_loss=True.')
