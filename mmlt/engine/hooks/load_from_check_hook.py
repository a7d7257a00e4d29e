"""Say which tensors of a ``load_from`` checkpoint did not go into the model.

mmengine loads ``load_from`` with ``strict=False``: a checkpoint of another
architecture, another number of classes or a renamed module leaves those
tensors at their initial values, and the only trace is an untagged notice
printed to stdout. Training then goes on from a partly random model.
:class:`LoadFromCheckHook` stops with an error listing them when a tensor
outside the classification head does not fit (the wrong checkpoint or
another architecture, most likely), and lists them in a WARNING when only
the head's do (fine-tuning on another number of classes); with
``strict=True`` (set by mmlt's stage-2 configs, whose classifier or scales
are trained on top of the loaded representation) any mismatch stops.
"""
import re
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from typing import (Any, Callable, Dict, List, Mapping, Optional, Sequence,
                    Tuple)

from mmengine.model import BaseTTAModel, is_model_wrapper
from torch import nn

from mmlt.registry import HOOKS
from .single_instance_hook import SingleInstanceHook

__all__ = [
    'LoadFromCheckHook', 'LoadMismatch', 'compare_state_dicts',
    'head_prefixes'
]

# What Runner.load_checkpoint does to the checkpoint's keys by default (the
# prefix of a state_dict saved from a DDP-wrapped model).
REVISE_KEYS: Tuple[Tuple[str, str], ...] = ((r'^module.', ''), )

Shape = Optional[Tuple[int, ...]]  # None for a value that is not a tensor


def _shape(value: Any) -> Shape:
    shape = getattr(value, 'shape', None)
    return tuple(shape) if shape is not None else None


def _text(shape: Shape) -> str:
    return 'not a tensor' if shape is None else f'shape {shape}'


@dataclass
class LoadMismatch:
    """What of a checkpoint does not fit a model.

    Attributes:
        shape: ``(name, checkpoint shape, model shape)`` of tensors present in
            both with different shapes (not loaded).
        missing: Model tensors the checkpoint lacks, with their shapes (left
            at their initial values), other than ``allowed``.
        unexpected: Checkpoint tensors the model has no place for, with
            their shapes.
        allowed: Missing model tensors matched by ``allow_missing``.
    """

    shape: List[Tuple[str, Shape, Shape]] = field(default_factory=list)
    missing: List[Tuple[str, Shape]] = field(default_factory=list)
    unexpected: List[Tuple[str, Shape]] = field(default_factory=list)
    allowed: List[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        """True if some tensor is not loaded (allowed misses aside)."""
        return bool(self.shape or self.missing or self.unexpected)

    def names(self) -> List[str]:
        """The keys of every tensor not loaded (allowed misses aside)."""
        return ([n for n, _, _ in self.shape] +
                [n for n, _ in self.missing] +
                [n for n, _ in self.unexpected])

    def partition(self, inside: Callable[[str], bool]
                  ) -> Tuple['LoadMismatch', 'LoadMismatch']:
        """``(the tensors inside, those outside)``, split by key with
        ``inside`` (allowed misses go with the part they belong to)."""
        parts = (LoadMismatch(), LoadMismatch())
        for kind in fields(self):
            for entry in getattr(self, kind.name):
                key = entry if isinstance(entry, str) else entry[0]
                getattr(parts[not inside(key)], kind.name).append(entry)
        return parts

    def lines(self) -> List[str]:
        """One line per tensor not loaded, for a log or an error."""
        out = [f'  {n}: checkpoint {_text(c)}, model {_text(m)}'
               for n, c, m in self.shape]
        out += [f'  {n}: missing from the checkpoint (model {_text(s)})'
                for n, s in self.missing]
        out += [f'  {n}: unexpected, not in the model (checkpoint {_text(s)})'
                for n, s in self.unexpected]
        return out


def compare_state_dicts(checkpoint: Mapping[str, Any],
                        model: Mapping[str, Any],
                        allow_missing: Sequence[str] = ()) -> LoadMismatch:
    """Which tensors of ``checkpoint`` would not load into ``model``.

    Both are state dicts with the same key convention (apply the runner's
    ``revise_keys`` to the checkpoint first). As mmengine's
    ``load_state_dict``, a missing BatchNorm ``num_batches_tracked`` counts
    as loaded.

    Args:
        checkpoint: The checkpoint's state dict.
        model: The model's state dict.
        allow_missing: Regular expressions; a missing model key that one of
            them matches in full (``re.fullmatch``) is reported as allowed.

    Returns:
        The mismatch, in the model's key order (unexpected keys in the
        checkpoint's).
    """
    patterns = [re.compile(p) for p in allow_missing]
    result = LoadMismatch()
    for name, value in model.items():
        if name in checkpoint:
            ckpt_shape, model_shape = _shape(checkpoint[name]), _shape(value)
            if ckpt_shape != model_shape:
                result.shape.append((name, ckpt_shape, model_shape))
        elif name.endswith('num_batches_tracked'):
            continue
        elif any(p.fullmatch(name) for p in patterns):
            result.allowed.append(name)
        else:
            result.missing.append((name, _shape(value)))
    result.unexpected = [(name, _shape(value))
                         for name, value in checkpoint.items()
                         if name not in model]
    return result


def _unwrap(module: nn.Module) -> nn.Module:
    # as mmengine's load_state_dict: DDP-like wrappers and TTA models
    while is_model_wrapper(module) or isinstance(module, BaseTTAModel):
        module = module.module
    return module


def head_prefixes(model: nn.Module, prefix: str = '') -> List[str]:
    """Key prefixes of the classification head(s) of an unwrapped model.

    ``head.`` for a classifier with a ``head`` module (MMPretrain's
    ``ImageClassifier``; mmlt's wrapper heads keep their main and auxiliary
    classifiers under it). For an mmlt ensemble (``members``, a
    ``ModuleDict`` of classifiers) the heads of its members,
    ``members.<name>.head.``, recursively. A model with neither (a
    self-supervised model, say) has no head: every tensor of it counts as
    outside the head.
    """
    head = getattr(model, 'head', None)
    if isinstance(head, nn.Module):
        return [f'{prefix}head.']
    members = getattr(model, 'members', None)
    if isinstance(members, nn.ModuleDict):
        return [p for name, member in members.items()
                for p in head_prefixes(member, f'{prefix}members.{name}.')]
    return []


def _checkpoint_state(checkpoint: Mapping[str, Any]) -> Dict[str, Any]:
    """The state dict Runner.load_checkpoint loads, keys revised."""
    state = checkpoint.get('state_dict', checkpoint)
    revised: Dict[str, Any] = OrderedDict()
    for key, value in state.items():
        for pattern, replacement in REVISE_KEYS:
            key = re.sub(pattern, replacement, key)
        revised[key] = value
    metadata = getattr(state, '_metadata', None)
    if metadata is not None:
        revised._metadata = metadata  # type: ignore[attr-defined]
    return revised


def _as_loaded(model: nn.Module, state: Dict[str, Any]) -> Dict[str, Any]:
    """``state`` as the model's modules see it when loading.

    Modules may convert a checkpoint while it loads (load_state_dict
    pre-hooks: MMPretrain's ViT resizes ``pos_embed``, its classifiers
    rename timm/HuggingFace keys). This runs those hooks on copies of the
    per-module dicts, as mmengine's ``load_state_dict`` hands them out, and
    returns every entry a module claims as its own plus those no module
    knows (unexpected). Without pre-hooks, ``state`` is returned as it is.
    """
    if not any(m._load_state_dict_pre_hooks for m in model.modules()):
        return state
    metadata = getattr(state, '_metadata', None) or {}
    seen: Dict[str, Any] = OrderedDict()

    def visit(module: nn.Module, local: Dict[str, Any], prefix: str) -> None:
        module = _unwrap(module)
        for hook in module._load_state_dict_pre_hooks.values():
            hook(local, prefix, metadata.get(prefix[:-1], {}), True, [], [],
                 [])
        for key, value in local.items():
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            if rest == '_extra_state':
                continue
            # torch's Module._load_from_state_dict: the module's own entry,
            # or unexpected unless a child module takes it
            if '.' in rest:
                if rest.split('.', 1)[0] not in module._modules:
                    seen[key] = value
            else:
                seen[key] = value  # own, or unexpected
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = f'{prefix}{name}.'
                visit(child, {k: v for k, v in local.items()
                              if k.startswith(child_prefix)}, child_prefix)

    visit(model, dict(state), '')
    return seen


def _check_patterns(allow_missing: Any) -> List[str]:
    if isinstance(allow_missing, str) or not isinstance(
            allow_missing, Sequence):
        raise TypeError(
            f'allow_missing={allow_missing!r} must be a list of regular '
            "expressions of model keys, e.g. ['head\\\\.lws_scale']")
    for pattern in allow_missing:
        if not isinstance(pattern, str):
            raise TypeError(f'allow_missing entry {pattern!r} must be a str')
        try:
            re.compile(pattern)
        except re.error as e:
            raise ValueError(f'allow_missing entry {pattern!r} is not a '
                             f'regular expression: {e}') from e
    return list(allow_missing)


@HOOKS.register_module()
class LoadFromCheckHook(SingleInstanceHook):
    """Refuse (or report) ``load_from`` tensors that do not fit the model.

    ``after_load_checkpoint`` runs inside ``Runner.load_checkpoint`` before
    the weights go into the model. When the runner is not resuming (a
    ``load_from`` of pretrained or stage-1 weights, or the checkpoint of
    ``tools/test.py``), the checkpoint's state dict (keys revised as the
    runner does: ``^module.`` stripped) is compared with the model's
    (unwrapped from DDP or a TTA wrapper): tensors with another shape,
    model tensors the checkpoint lacks and checkpoint tensors the model has
    no place for, each with its shapes. Then:

    * a tensor outside the classification head does not fit: a
      ``RuntimeError`` listing them, raised before any weight is loaded.
      The backbone (and neck) of a checkpoint of the right architecture
      fits; when it does not, the checkpoint is most likely the wrong one,
      and training would go on from a partly random representation.
      ``allow_backbone_mismatch=True`` turns this into the WARNING below,
      for a mismatch that is intended (a partial transfer, a new stem);
    * only tensors of the head do not fit: a WARNING lists them. A
      fine-tuning checkpoint with another number of classes is the normal
      case; its classifier keeps its initial weights;
    * ``strict=True``: any mismatch raises.

    The head is what :func:`head_prefixes` names: the keys under ``head.``
    of a classifier, or under ``members.<name>.head.`` of an ensemble's
    members; a model without a ``head`` module has none, so every tensor of
    it counts as outside. A resume is not checked: it restores the run's
    own checkpoint.

    mmlt's configs register it in ``default_hooks`` under
    ``load_from_check``; the stage-2 configs set ``strict=True``.

    Args:
        strict: Raise for any mismatch, the head's included.
        allow_missing: Regular expressions (matched in full) of model keys
            the checkpoint may lack, e.g. ``['head\\.lws_scale']`` for LWS
            on a stage-1 checkpoint: they are reported at INFO level, inside
            the head or not. Each must match some model key (a pattern that
            matches none is most likely misspelt).
        allow_backbone_mismatch: Train on, with the WARNING, when tensors
            outside the head (backbone, neck) do not fit. Ignored with
            ``strict=True``.
    """

    default_hooks_key = 'load_from_check'
    priority = 'VERY_HIGH'  # before other hooks act on the checkpoint

    def __init__(self,
                 strict: bool = False,
                 allow_missing: Sequence[str] = (),
                 allow_backbone_mismatch: bool = False) -> None:
        if not isinstance(strict, bool):
            raise TypeError(f'strict={strict!r} must be a bool')
        if not isinstance(allow_backbone_mismatch, bool):
            raise TypeError(
                f'allow_backbone_mismatch={allow_backbone_mismatch!r} must '
                'be a bool')
        self.strict = strict
        self.allow_missing = _check_patterns(allow_missing)
        self.allow_backbone_mismatch = allow_backbone_mismatch

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if runner._resume:  # as mmengine's EMAHook tells a resume apart
            return
        model = _unwrap(runner.model)
        model_state = model.state_dict()
        for pattern in self.allow_missing:
            if not any(re.fullmatch(pattern, key) for key in model_state):
                raise ValueError(
                    f'LoadFromCheckHook: allow_missing pattern {pattern!r} '
                    f'matches no key of {type(model).__name__} in full; its '
                    f'last keys: {list(model_state)[-5:]}')
        state = _as_loaded(model, _checkpoint_state(checkpoint))
        mismatch = compare_state_dicts(state, model_state, self.allow_missing)
        source = runner._load_from or 'the checkpoint'
        if mismatch.allowed:
            runner.logger.info(
                f'{source}: {len(mismatch.allowed)} model tensors are not in '
                'the checkpoint and keep their initial values, as '
                f'allow_missing={self.allow_missing} permits: '
                f'{", ".join(mismatch.allowed)}')
        if not mismatch:
            return
        name = type(model).__name__
        lines = mismatch.lines()
        message = (f'{len(lines)} tensors of {source} do not fit {name} and '
                   'are not loaded (they keep their initial values):\n' +
                   '\n'.join(lines))
        if self.strict:
            raise RuntimeError(
                f'{message}\nLoadFromCheckHook(strict=True) stops here: '
                'check load_from (the right stage-1 checkpoint?) and the '
                'model settings (num_classes, architecture); list model '
                'keys that may be missing in '
                "default_hooks.load_from_check.allow_missing, or set "
                'default_hooks.load_from_check.strict=False to train on.')
        prefixes = tuple(head_prefixes(model))
        head, outside = mismatch.partition(lambda k: k.startswith(prefixes))
        where = (' or '.join(repr(p) for p in prefixes) if prefixes else
                 f'none: {name} has no head module')
        if outside and not self.allow_backbone_mismatch:
            outside_lines = outside.lines()
            also = (f'\n({len(head.lines())} tensors of the head do not fit '
                    'either; alone they would be a warning: '
                    f'{", ".join(head.names())})' if head else '')
            raise RuntimeError(
                f'{len(outside_lines)} tensors of {source} outside the '
                f'classification head (keys under {where}) do not fit '
                f'{name}; they would not be loaded and would keep their '
                'initial values:\n' + '\n'.join(outside_lines) + also +
                '\nLoadFromCheckHook stops here: outside the head a '
                'mismatch means another architecture or the wrong '
                'checkpoint. Check load_from and the model settings '
                '(backbone type, depth, widths, out_indices, neck). If the '
                'mismatch is intended, set '
                'default_hooks.load_from_check.allow_backbone_mismatch=True '
                'to train on with a warning, or list the model keys the '
                'checkpoint may lack in '
                'default_hooks.load_from_check.allow_missing.')
        if outside:
            message += ('\nallow_backbone_mismatch=True lets the tensors '
                        'outside the head through: '
                        + ', '.join(outside.names()))
        runner.logger.warning(
            f'{message}\nSet default_hooks.load_from_check.strict=True to '
            'make this an error.')
