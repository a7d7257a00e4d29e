"""Second stage of decoupled training: train the classifier alone."""
from typing import Dict, List, Sequence, Tuple, Union

import torch
from mmengine.model import is_model_wrapper
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mmlt.models.heads import find_head
from mmlt.registry import HOOKS
from .resampled_prior import refuse_posthoc_after_resampling, sampler_strategy
from .single_instance_hook import SingleInstanceHook

__all__ = [
    'ClassifierRetrainHook', 'default_trainable', 'freeze_except',
    'frozen_norm_modules', 'match_trainable', 'norm_affine_names',
    'reinit_modules'
]


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if is_model_wrapper(model) else model


def default_trainable(model: nn.Module) -> List[str]:
    """The head's classifier layer (``head.fc``), through a DDP wrapper."""
    model = _unwrap(model)
    head = find_head(model)
    if head is None or not isinstance(getattr(head, 'fc', None), nn.Module):
        raise ValueError(
            f'{type(model).__name__} has no head with a classifier layer '
            '`fc`: name the modules to train, e.g. '
            "ClassifierRetrainHook(trainable=['head.fc'])")
    head_name = next(n for n, m in model.named_modules() if m is head)
    return [f'{head_name}.fc' if head_name else 'fc']


def _check_names(trainable: Union[str, Sequence[str]]) -> List[str]:
    if isinstance(trainable, str):
        trainable = [trainable]
    if not isinstance(trainable, Sequence) or not trainable or any(
            not isinstance(n, str) or not n for n in trainable):
        raise ValueError(f'trainable={trainable!r} must be a non-empty list '
                         'of module or parameter names (e.g. ["head.fc"])')
    return list(trainable)


def match_trainable(model: nn.Module,
                    trainable: Sequence[str]) -> Dict[str, List[str]]:
    """``{name: [parameter names it selects]}``.

    A name selects the parameter of that exact name or every parameter of
    the module of that name (``'head.fc'`` selects ``head.fc.weight`` and
    ``head.fc.bias``). Names are relative to the unwrapped model.

    Raises:
        ValueError: Naming the first name that selects no parameter, with
            the parameter names that exist near it.
    """
    model = _unwrap(model)
    params = [n for n, _ in model.named_parameters()]
    matched = {}
    for name in _check_names(trainable):
        hits = [p for p in params if p == name or p.startswith(name + '.')]
        if not hits:
            parent = name.rsplit('.', 1)[0] if '.' in name else ''
            near = [p for p in params if p.startswith(parent + '.')] \
                if parent else sorted({p.split('.')[0] for p in params})
            raise ValueError(
                f'trainable name {name!r} matches no parameter of '
                f'{type(model).__name__}; '
                + (f'parameters under {parent!r}: {near[:20]}' if parent
                   else f'top-level modules with parameters: {near}'))
        matched[name] = hits
    return matched


def freeze_except(model: nn.Module,
                  trainable: Sequence[str]) -> Tuple[List[str], List[str]]:
    """Set ``requires_grad`` to True for the parameters ``trainable`` names
    (see :func:`match_trainable`) and False for every other one.

    Returns:
        (trainable parameter names, frozen parameter names).
    """
    model = _unwrap(model)
    keep = {p for hits in match_trainable(model, trainable).values()
            for p in hits}
    trained, frozen = [], []
    for name, param in model.named_parameters():
        param.requires_grad_(name in keep)
        (trained if name in keep else frozen).append(name)
    return trained, frozen


def _has_running_stats(module: nn.Module) -> bool:
    buffers = dict(module.named_buffers(recurse=False))
    return bool(getattr(module, 'track_running_stats', False)) or \
        'running_mean' in buffers or 'running_var' in buffers


def frozen_norm_modules(model: nn.Module) -> List[nn.Module]:
    """Modules with running statistics (BatchNorm, SyncBatchNorm,
    InstanceNorm with ``track_running_stats``...) whose own parameters are
    all frozen: in train mode they would still update their statistics."""
    return [
        m for m in _unwrap(model).modules() if _has_running_stats(m) and
        not any(p.requires_grad for p in m.parameters(recurse=False))
    ]


def norm_affine_names(model: nn.Module) -> List[str]:
    """The names of the modules with running statistics (as
    :func:`frozen_norm_modules` finds them) that have parameters of their
    own: BatchNorm's affine weight and bias (γ, β)."""
    return [
        name for name, m in _unwrap(model).named_modules()
        if _has_running_stats(m) and
        any(True for _ in m.parameters(recurse=False))
    ]


def reinit_modules(model: nn.Module, names: Sequence[str]) -> List[str]:
    """Re-initialise each named module with its ``reset_parameters()``
    (PyTorch's default initialisation of the layer, e.g. Kaiming-uniform
    weights and uniform bias for ``nn.Linear``).

    Raises:
        ValueError: Naming a name that is not a module with
            ``reset_parameters`` (e.g. a bare parameter such as LWS's
            ``head.lws_scale``).
    """
    modules = dict(_unwrap(model).named_modules())
    for name in names:
        module = modules.get(name)
        if module is None or not callable(
                getattr(module, 'reset_parameters', None)):
            raise ValueError(
                f'reinit=True cannot re-initialise {name!r}: it is not a '
                'module with reset_parameters() (a bare parameter such as '
                "LWS's head.lws_scale keeps its value); set reinit=False")
    for name in names:
        with torch.no_grad():
            modules[name].reset_parameters()
    return list(names)


@HOOKS.register_module()
class ClassifierRetrainHook(SingleInstanceHook):
    """Train only the classifier on a fixed representation: the second
    stage of decoupled training (Kang et al., "Decoupling Representation
    and Classifier for Long-Tailed Recognition", ICLR 2020).

    Stage 1 trains the whole network with instance-balanced sampling; stage
    2 loads its checkpoint (``load_from``) and trains with class-balanced
    sampling (``RebalancedSampler(strategy='class_balanced')``) only

    * the classifier, re-initialised (cRT, "classifier re-training": the
      paper re-initialises ``W`` and ``b``; the authors' config trains 10
      epochs), with the default ``trainable`` and ``reinit=True``; or
    * the per-class scales of learnable weight scaling (LWS:
      ``LTLinearClsHead(lws=True)`` with ``trainable=['head.lws_scale']``,
      ``reinit=False``; the authors train 5 epochs); or
    * the stage-1 classifier and those scales together, not
      re-initialised, with the BatchNorm statistics following the stage-2
      batches: MiSLAS's stage 2 (Zhong et al., CVPR 2021;
      ``trainable=['head.fc', 'head.lws_scale']``, ``reinit=False``,
      ``frozen_norm_eval=False``, see ``configs/mislas/``).

    When training starts (``before_train``, after ``load_from`` was applied)
    the hook sets ``requires_grad=False`` on every parameter that
    ``trainable`` does not name and, at the first iteration only (not when
    a stage-2 run is resumed), re-initialises the trainable modules if
    ``reinit``. Frozen parameters get no gradient, so SGD/Adam/AdamW skip
    them entirely (they step only parameters whose ``grad`` is not None):
    no weight decay, no momentum. Before every iteration the frozen
    normalisation layers with running statistics are put back in eval mode
    (the train loop calls ``model.train()`` after ``before_train_epoch``),
    so the representation is exactly the stage-1 one, BatchNorm statistics
    included.

    Distributed: mmengine wraps the model in DDP when the Runner is built,
    before any hook runs, and DDP registers every parameter that requires a
    gradient at that moment; frozen ones would then never be reduced
    ("Expected to have finished reduction in the prior iteration"). So after
    freezing, the hook re-builds the wrapper from the same
    ``model_wrapper_cfg`` (``Runner.wrap_model``): the new DDP sees only
    the trainable parameters (``find_unused_parameters`` is not needed) and
    broadcasts rank 0's weights, so a re-initialised classifier is the same
    on every rank. The optimizer holds the same parameter objects, so it is
    unaffected. Other wrappers (FSDP, DeepSpeed) are refused.

    A head with post-hoc logit adjustment (``logit_adjust_tau`` > 0) is
    refused when training or a test run of the config starts, if the
    config's training sampler re-balances the classes (cRT's and LWS's
    class-balanced stage 2): the re-trained classifier no longer carries the
    training prior, and the adjustment would remove it a second time (see
    :mod:`mmlt.engine.hooks.resampled_prior`); ``logit_adjust_any_loss=True``
    on the head (a τ tuned on validation data) lets it through.

    Args:
        trainable: Module or parameter names (relative to the model,
            without a DDP ``module.`` prefix) to train; a name selects that
            parameter or all parameters of that module. Default: the head's
            classifier layer (``head.fc``).
        reinit: Re-initialise the trainable modules before training
            (cRT). Must be False when ``trainable`` names a bare parameter
            (LWS).
        frozen_norm_eval: Keep frozen normalisation layers with running
            statistics in eval mode. False reproduces the authors' code,
            which left the fixed feature model in train mode, so its
            BatchNorm statistics followed the class-balanced batches; it is
            also MiSLAS's shift learning on BatchNorm (Zhong et al., CVPR
            2021: the running mean and variance are updated in stage 2, the
            affine γ and β stay fixed, as in the official code, which keeps
            them out of the optimizer and runs the feature model in train
            mode).
        train_norm_affine: Also train the affine weight and bias (γ, β) of
            every normalisation layer with running statistics (see
            :func:`norm_affine_names`); being trained, these layers run in
            train mode, so their statistics follow the stage-2 batches too,
            whatever ``frozen_norm_eval``. Convolution and other weights
            stay frozen; ``reinit`` applies to ``trainable`` only.
    """

    default_hooks_key = 'classifier_retrain'
    priority = 'HIGH'

    def __init__(self,
                 trainable: Union[None, str, Sequence[str]] = None,
                 reinit: bool = True,
                 frozen_norm_eval: bool = True,
                 train_norm_affine: bool = False) -> None:
        self.trainable = None if trainable is None else \
            _check_names(trainable)
        for name, value in (('reinit', reinit),
                            ('frozen_norm_eval', frozen_norm_eval),
                            ('train_norm_affine', train_norm_affine)):
            if not isinstance(value, bool):
                raise TypeError(f'{name}={value!r} must be True or False')
        self.reinit = reinit
        self.frozen_norm_eval = frozen_norm_eval
        self.train_norm_affine = train_norm_affine
        self._norms: List[nn.Module] = []

    def _refuse_posthoc_adjustment(self, runner) -> None:
        """Stop if the head predicts with the post-hoc logit adjustment
        after a classifier trained under the config's re-balancing
        sampler."""
        loader = (getattr(runner, 'cfg', None) or {}).get('train_dataloader')
        strategy = sampler_strategy((loader or {}).get('sampler'))
        refuse_posthoc_after_resampling(
            find_head(runner.model), strategy,
            f'{type(self).__name__} trains the classifier with the '
            f'training sampler (strategy {strategy!r})')

    def before_test(self, runner) -> None:
        self._refuse_posthoc_adjustment(runner)

    def before_train(self, runner) -> None:
        self._refuse_posthoc_adjustment(runner)
        model = runner.model
        names = self.trainable or default_trainable(model)
        norms = self._norm_affine(model)
        trained, frozen = freeze_except(model, names + norms)
        if self.reinit:
            if runner.iter == 0:
                reinit_modules(model, names)
                runner.logger.info(f'{type(self).__name__}: re-initialised '
                                   f'{names}')
            else:
                runner.logger.info(
                    f'{type(self).__name__}: resumed at iteration '
                    f'{runner.iter}, keeping the trained {names}')
        self._rewrap(runner)
        self._norms = frozen_norm_modules(runner.model) \
            if self.frozen_norm_eval else []
        params = dict(_unwrap(runner.model).named_parameters())
        runner.logger.info(
            f'{type(self).__name__}: training {len(trained)} parameter '
            f'tensors ({sum(params[n].numel() for n in trained):,} values) '
            f'of {names}'
            + (f' and the affine parameters of {len(norms)} normalisation '
               'layers' if norms else '') + f'; {len(frozen)} tensors '
            f'({sum(params[n].numel() for n in frozen):,} values) frozen, '
            f'{len(self._norms)} normalisation layers kept in eval mode')

    def _norm_affine(self, model: nn.Module) -> List[str]:
        """The normalisation layers whose γ, β train
        (``train_norm_affine``), by name; a ValueError when asked for and
        the model has none."""
        if not self.train_norm_affine:
            return []
        names = norm_affine_names(model)
        if not names:
            raise ValueError(
                f'train_norm_affine=True but {type(_unwrap(model)).__name__}'
                ' has no normalisation layer with running statistics and '
                'affine parameters')
        return names

    def _rewrap(self, runner) -> None:
        model = runner.model
        if not is_model_wrapper(model):
            return
        if not isinstance(model, DistributedDataParallel):
            raise TypeError(
                f'{type(self).__name__} re-builds the DDP wrapper after '
                f'freezing; it cannot re-build {type(model).__name__}')
        module = model.module
        runner.model = None
        del model  # the old reducer's hooks go with it
        runner.model = runner.wrap_model(
            runner.cfg.get('model_wrapper_cfg'), module)
        if runner.cfg.get('compile', None):
            runner._maybe_compile('train_step')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        for module in self._norms:
            if module.training:
                module.eval()
