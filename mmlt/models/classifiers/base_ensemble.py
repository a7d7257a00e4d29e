"""What the test-time ensembles share: building, loading and running members.

An ensemble holds already-trained classifiers ("members"), each described by
a dict::

    dict(name='fold0',                    # optional, default 'member{i}'
         config='configs/lt/convnext_focal.py',   # or model=dict(...)
         checkpoint='work_dirs/fold0/epoch_30.pth',  # or None
         strict=True,                     # strict state_dict loading
         weight=1.0)                      # ScoreEnsemble only

A member built from ``config`` takes that config's ``model`` plus its
top-level ``data_preprocessor`` (as mmengine's Runner does). Paths are
relative to the working directory, as ``load_from`` is. Checkpoints load
through mmengine's ``load_checkpoint``, so mmlt's trust policy
(:mod:`mmlt.utils.checkpoint_trust`) applies: a file outside the trusted
directories is loaded with ``weights_only=True`` and the allow-list for what
mmengine saves (message hub, HistoryBuffer, numpy). A member without a
checkpoint keeps the weights it is built with (its ``init_cfg`` is not
applied, as the Runner does not when testing): meant for tests, or for a
member that is itself an ensemble.

Shot bins (many/medium/few-shot) of an ensemble are computed from the class
counts of the data the ensemble represents, by this rule (see
:func:`resolve_ensemble_counts`): ``class_counts=`` when given; else the
counts of ``train_dataset=`` (a dataset config, e.g. the whole training CSV
of a k-fold run, whose folds each saw only a part of it); else the members'
own training counts when they all agree (seeds or losses trained on the same
set). Members trained on different data (k-fold folds, specialists on
different subsets) without either option are refused when the ensemble is
built: no member's subset stands for the whole.

Members keep their own data preprocessors. The ensemble's preprocessor only
moves the collated batch to the device (mmengine's
``BaseDataPreprocessor``), and each member normalises the raw batch its own
way, so members trained with different mean/std, channels or ``to_rgb``
can be combined.
"""
import copy
import math
import os.path as osp
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from mmlt.utils.checkpoint_trust import _REMOTE  # URLs: left to mmengine

__all__ = [
    'BaseEnsemble', 'MemberSpec', 'parse_member_specs',
    'resolve_ensemble_counts'
]

_MEMBER_KEYS = ('name', 'config', 'model', 'checkpoint', 'strict', 'weight')


@dataclass
class MemberSpec:
    """One member, validated: what to build and which weights to load."""
    name: str
    model: Dict[str, Any]
    checkpoint: Optional[str]
    strict: bool
    weight: float


def _model_from_config(path: str, name: str) -> Dict[str, Any]:
    cfg = Config.fromfile(path)
    if cfg.get('model', None) is None:
        raise ValueError(f'ensemble member {name!r}: config {path!r} has no '
                         '`model`')
    model = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor', None) is not None:
        model.setdefault('data_preprocessor',
                         copy.deepcopy(cfg.data_preprocessor))
    return model.to_dict() if hasattr(model, 'to_dict') else dict(model)


def _check_weight(weight: Any, name: str) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
            or not math.isfinite(weight) or weight <= 0:
        raise ValueError(f'ensemble member {name!r}: weight={weight!r} must '
                         'be a positive finite number')
    return float(weight)


def parse_member_specs(members: Sequence[Mapping],
                       with_weight: bool) -> List[MemberSpec]:
    """Validate the ``members`` of an ensemble config.

    Args:
        members: The member dicts (see the module docstring).
        with_weight: Whether a member may have a ``weight``.

    Raises:
        ValueError: On an empty list, an unknown key, not exactly one of
            ``config``/``model``, a bad name, weight or ``strict``.
        FileNotFoundError: If a member's config or local checkpoint file
            does not exist.
    """
    if isinstance(members, (str, Mapping)) or not isinstance(
            members, Sequence) or len(members) == 0:
        raise ValueError(f'members={members!r} must be a non-empty list of '
                         'member dicts')
    allowed = _MEMBER_KEYS if with_weight else _MEMBER_KEYS[:-1]
    specs: List[MemberSpec] = []
    for i, member in enumerate(members):
        if not isinstance(member, Mapping):
            raise ValueError(f'members[{i}]={member!r} must be a dict')
        unknown = sorted(set(member) - set(allowed))
        if unknown:
            raise ValueError(f'members[{i}] has unknown key(s) {unknown}; '
                             f'allowed: {list(allowed)}')
        name = member.get('name', f'member{i}')
        if not isinstance(name, str) or not name or '.' in name:
            raise ValueError(f'members[{i}]: name={name!r} must be a '
                             'non-empty string without "."')
        if name in [s.name for s in specs]:
            raise ValueError(f'members[{i}]: name {name!r} is used twice')
        if ('config' in member) == ('model' in member):
            raise ValueError(f'ensemble member {name!r} needs exactly one of '
                             "'config' (a config file) and 'model' (a model "
                             f'dict), got keys {sorted(member)}')
        if 'config' in member:
            path = member['config']
            if not isinstance(path, str) or not osp.isfile(path):
                raise FileNotFoundError(
                    f'ensemble member {name!r}: config file {path!r} does '
                    'not exist')
            model = _model_from_config(path, name)
        else:
            if not isinstance(member['model'], Mapping):
                raise ValueError(f'ensemble member {name!r}: model='
                                 f'{member["model"]!r} must be a dict')
            model = copy.deepcopy(dict(member['model']))
        checkpoint = member.get('checkpoint', None)
        if checkpoint is not None:
            if not isinstance(checkpoint, str) or not checkpoint:
                raise ValueError(f'ensemble member {name!r}: checkpoint='
                                 f'{checkpoint!r} must be a path or None')
            if not _REMOTE.match(checkpoint) and not osp.isfile(
                    osp.expanduser(checkpoint)):
                raise FileNotFoundError(
                    f'ensemble member {name!r}: checkpoint file '
                    f'{checkpoint!r} does not exist')
        strict = member.get('strict', True)
        if not isinstance(strict, bool):
            raise ValueError(f'ensemble member {name!r}: strict={strict!r} '
                             'must be a bool')
        weight = _check_weight(member.get('weight', 1.0), name)
        specs.append(MemberSpec(name, model, checkpoint, strict, weight))
    return specs


def resolve_ensemble_counts(
        member_counts: Mapping[str, Optional[Sequence[int]]],
        class_counts: Optional[Sequence[int]] = None,
        train_dataset: Optional[Mapping] = None) -> Optional[np.ndarray]:
    """The training class counts an ensemble's shot bins use.

    Args:
        member_counts: Each member's training class counts (None for a
            member whose head does not know them).
        class_counts: Counts given explicitly.
        train_dataset: A dataset config (or dataset) of the data the
            ensemble represents; its class counts are read without loading
            any image.

    Returns:
        The counts, or None when neither option is given and no member
        knows its counts (the metric then skips the shot bins, saying so).

    Raises:
        ValueError: If both options are given, if the counts are malformed,
            or if the members' counts differ and no option says which data
            the ensemble represents.
    """
    if class_counts is not None and train_dataset is not None:
        raise ValueError('pass class_counts or train_dataset, not both')
    if class_counts is not None:
        counts = np.asarray(class_counts)
        if counts.ndim != 1 or counts.size == 0 or not np.issubdtype(
                counts.dtype, np.integer) or (counts < 0).any():
            raise ValueError(f'class_counts={class_counts!r} must be a '
                             'non-empty list of non-negative ints')
        return counts.astype(np.int64)
    if train_dataset is not None:
        from mmlt.datasets.label_utils import get_class_counts
        from mmlt.registry import DATASETS
        dataset = DATASETS.build(copy.deepcopy(dict(train_dataset))) \
            if isinstance(train_dataset, Mapping) else train_dataset
        return get_class_counts(dataset)
    known = {
        name: np.asarray(c, dtype=np.int64)
        for name, c in member_counts.items() if c is not None
    }
    if not known:
        return None
    first = next(iter(known.values()))
    if any(c.shape != first.shape or not np.array_equal(c, first)
           for c in known.values()):
        sizes = ', '.join(f'{n}: {int(c.sum())} images' for n, c in
                          known.items())
        raise ValueError(
            'the ensemble members were trained on different class counts '
            f'({sizes}), so no member\'s counts stand for the data the '
            'ensemble represents (e.g. the whole training set of k-fold '
            'models): pass train_dataset=<that dataset\'s config> or '
            'class_counts=[...] to the ensemble, for its shot bins')
    return first


def _member_counts(model: torch.nn.Module) -> Optional[np.ndarray]:
    from mmlt.models.heads import find_head
    ensemble_counts = getattr(model, 'training_class_counts', False)
    if ensemble_counts is not False:  # a nested ensemble
        return ensemble_counts
    head = find_head(model)
    if head is None or not getattr(head, 'class_counts_known', False):
        return None
    return head.class_counts.detach().cpu().numpy().astype(np.int64)


def _build_member(spec: MemberSpec) -> BaseModel:
    model = MODELS.build(spec.model)
    if not isinstance(model, BaseModel):
        raise ValueError(f'ensemble member {spec.name!r}: built a '
                         f'{type(model).__name__}, not an mmengine BaseModel '
                         '(a classifier with a data_preprocessor)')
    if spec.checkpoint is None:
        return model
    from mmengine.runner import load_checkpoint
    try:
        load_checkpoint(
            model,
            spec.checkpoint,
            map_location='cpu',
            strict=spec.strict,
            logger='current',
            revise_keys=[(r'^module\.', '')])
    except Exception as e:
        e.add_note(f'(while loading ensemble member {spec.name!r} from '
                   f'{spec.checkpoint!r})')
        raise
    return model


def _check_preprocessor(data_preprocessor: Any, owner: str) -> Any:
    """Only mmengine's plain ``BaseDataPreprocessor`` (collate and move)."""
    if data_preprocessor is None:
        return dict(type='BaseDataPreprocessor')
    if isinstance(data_preprocessor, torch.nn.Module):
        cls = type(data_preprocessor)
    elif isinstance(data_preprocessor, Mapping):
        kind = data_preprocessor.get('type', None)
        cls = kind if isinstance(kind, type) else (
            MODELS.get(kind) if isinstance(kind, str) else None)
    else:
        cls = None
    if cls is not BaseDataPreprocessor:
        raise ValueError(
            f'{owner}: data_preprocessor={data_preprocessor!r} would '
            'preprocess the batch before every member does it again; an '
            "ensemble's data_preprocessor only moves the batch to the "
            "device (None or dict(type='BaseDataPreprocessor')) and each "
            'member normalises with its own. The Runner merges a top-level '
            '`data_preprocessor` of the config (e.g. from a dataset base) '
            'into the model: set `data_preprocessor = None` in the '
            'ensemble config.')
    return data_preprocessor


def select_inputs(inputs: Union[torch.Tensor, List[torch.Tensor]],
                  indices: List[int]) -> Union[torch.Tensor, list]:
    """The samples ``indices`` of a batch (stacked tensor or list)."""
    if isinstance(inputs, torch.Tensor):
        return inputs[torch.as_tensor(indices, device=inputs.device)]
    return [inputs[i] for i in indices]


class BaseEnsemble(BaseModel):
    """A test-time ensemble of trained classifiers (see the module docs).

    Subclasses implement :meth:`predict_scores`, the ``(N, C)`` scores of a
    batch; :meth:`predict` packs them into DataSamples with ``pred_score``
    and ``pred_label`` (the argmax), as MMPretrain's ``ImageClassifier``.
    Ensembles are for testing: ``mode='loss'`` raises.

    Args:
        members: Member dicts, see :func:`parse_member_specs`.
        with_weight: Whether members may have a ``weight``.
        data_preprocessor: None or ``dict(type='BaseDataPreprocessor')``.
        class_counts: Training class counts for the shot bins (see the
            module docstring for the rule).
        train_dataset: Config of the data the ensemble represents, whose
            class counts the shot bins use.

    Attributes:
        training_class_counts: The counts by that rule (or None).
    """

    def __init__(self,
                 members: Sequence[Mapping],
                 with_weight: bool,
                 data_preprocessor: Any = None,
                 class_counts: Optional[Sequence[int]] = None,
                 train_dataset: Optional[Mapping] = None) -> None:
        owner = type(self).__name__
        super().__init__(
            data_preprocessor=_check_preprocessor(data_preprocessor, owner))
        self.specs = parse_member_specs(members, with_weight)
        self.members = torch.nn.ModuleDict()
        for spec in self.specs:
            if hasattr(self.members, spec.name):  # e.g. 'keys', 'update'
                raise ValueError(f'member name {spec.name!r} is taken by '
                                 'torch.nn.ModuleDict: pick another')
            self.members[spec.name] = _build_member(spec)
        self.training_class_counts = resolve_ensemble_counts(
            {name: _member_counts(m)
             for name, m in self.members.items()}, class_counts,
            train_dataset)

    def init_weights(self) -> None:
        """Keep the members' weights (loaded when the ensemble is built)."""

    def member_scores(self, name: str, inputs: Any,
                      data_samples: Optional[List[DataSample]]
                      ) -> torch.Tensor:
        """``(N, C)`` ``pred_score`` of member ``name`` on a raw batch.

        The member applies its own data preprocessor; it gets copies of the
        data samples, so the ensemble's outputs are not overwritten.
        """
        member = self.members[name]
        samples = None if data_samples is None else \
            [copy.deepcopy(s) for s in data_samples]
        data = member.data_preprocessor(
            dict(inputs=inputs, data_samples=samples), False)
        outputs = member(**data, mode='predict')
        try:
            scores = torch.stack([out.pred_score for out in outputs])
        except (AttributeError, TypeError) as e:
            raise ValueError(f'ensemble member {name!r} did not predict '
                             'DataSamples with pred_score') from e
        return scores

    def predict_scores(self, inputs: Any,
                       data_samples: Optional[List[DataSample]] = None
                       ) -> torch.Tensor:
        """``(N, C)`` class scores of a raw batch (subclasses)."""
        raise NotImplementedError

    def predict(self,
                inputs: Any,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        scores = self.predict_scores(inputs, data_samples)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(scores))]
        labels = scores.argmax(dim=1, keepdim=True)
        for sample, score, label in zip(data_samples, scores, labels):
            sample.set_pred_score(score).set_pred_label(label)
        return data_samples

    def _no_training(self) -> NotImplementedError:
        return NotImplementedError(
            f'{type(self).__name__} is for testing and has no loss: train '
            'each member with its own config')

    def train_step(self, data: Any, optim_wrapper: Any) -> dict:
        raise self._no_training()

    def forward(self,
                inputs: Any,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor') -> Any:
        if mode == 'tensor':
            return self.predict_scores(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'loss':
            raise self._no_training()
        raise ValueError(f"mode={mode!r} must be 'tensor' or 'predict'")

    @staticmethod
    def check_same_classes(scores: Dict[str, torch.Tensor]) -> None:
        """Raise unless every member scored the same number of classes."""
        shapes = {name: s.shape[-1] for name, s in scores.items()}
        if len(set(shapes.values())) > 1:
            raise ValueError('ensemble members predict different numbers of '
                             f'classes: {shapes}')
