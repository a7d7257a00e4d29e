"""What the advisor works on: a model's logits of images it did not train
on, their labels and groups, the training class counts and what the head
can be told.

Two sources:

* :func:`inputs_from_checkpoint`: a config and its checkpoint. The model
  runs once over the config's validation split (every image once, in
  order, test mode); kept are the logits the head turns into its softmax
  scores (``ClsHead._get_predictions``' input, after whatever the head
  already applies, e.g. ``logit_adjust_tau``), the classifier's input
  ``h`` and weights (for τ-normalisation), labels and group ids.
* :func:`inputs_from_kfold`: a ``tools/kfold_train.py`` work dir. Its
  ``oof_predictions.npz`` holds every training image's probabilities from
  the fold model that did not train on it; their log is used as logits
  (a per-image constant away from the fold model's logits, which changes
  no argmax, softmax or bias fit). Images of never-validated classes
  (fold -1) are left out and their classes named.

Unlabelled deployment images are read by :mod:`.deployment_images`.
"""
import contextlib
import copy
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config

__all__ = ['PROB_FLOOR', 'HeadSettings', 'AdviceInputs', 'head_settings',
           'inputs_from_checkpoint', 'inputs_from_kfold', 'run_model',
           'build_model', 'split_classes']

#: Smallest probability whose log is taken (an out-of-fold probability of
#: exactly 0 would be -inf).
PROB_FLOOR = 1e-12


@dataclass
class HeadSettings:
    """What the config's head already does at prediction and whether it
    takes the advisor's options (mmlt's ``LTLinearClsHead`` and its
    subclasses do).

    Attributes:
        head_type: The config's ``model.head.type``.
        takes_options: Whether the head has ``logit_adjust_tau``,
            ``tau_norm``, ``logit_bias`` and ``group_logit_bias``.
        logit_adjust_tau, tau_norm, logit_bias, group_logit_bias: The
            config's values.
        logit_adjust_refusal: Why the head refuses ``logit_adjust_tau`` for
            its loss, or the config's hooks for its re-balanced classifier
            stage, unless ``logit_adjust_any_loss=True`` (None: it takes
            it).
    """
    head_type: str
    takes_options: bool
    logit_adjust_tau: float = 0.0
    tau_norm: Optional[float] = None
    logit_bias: Optional[List[float]] = None
    group_logit_bias: Optional[Dict[int, List[float]]] = None
    logit_adjust_refusal: Optional[str] = None


@dataclass
class AdviceInputs:
    """Held-out predictions to advise on.

    Attributes:
        logits: ``(N, C)`` float64: the model's logits as it predicts.
        labels: ``(N,)`` true classes.
        class_counts: ``(C,)`` training images per class.
        classes: Class names.
        source: One sentence: which images, scored by what.
        groups: ``(N,)`` group ids, None when the data has none.
        feats, weight: The classifier's input ``h`` (``(N, D)``) and its
            rows ``W`` (``(C, D)``), for τ-normalisation; None without.
        tau_norm_reason: Why τ-normalisation cannot be tried ('' if it
            can).
        head: The config's head (:class:`HeadSettings`).
        notes: Facts the report should state (left-out images...).
    """
    logits: np.ndarray
    labels: np.ndarray
    class_counts: np.ndarray
    classes: Tuple[str, ...]
    source: str
    groups: Optional[np.ndarray] = None
    feats: Optional[np.ndarray] = None
    weight: Optional[np.ndarray] = None
    tau_norm_reason: str = ''
    head: Optional[HeadSettings] = None
    notes: List[str] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return self.logits.shape[1]


def split_classes(labels: np.ndarray, classes: Sequence[str]) -> List[str]:
    """Names of the classes without an image among ``labels`` (they cannot
    be scored)."""
    present = np.bincount(np.asarray(labels, np.int64),
                          minlength=len(classes)) > 0
    return [str(classes[c]) for c in np.flatnonzero(~present)]


def head_settings(cfg: Config) -> HeadSettings:
    """Build the config's head alone and read its prediction settings."""
    from mmengine.registry import init_default_scope

    from mmlt.engine.hooks.resampled_prior import config_resampling_refusal
    from mmlt.models.heads.lt_linear_head import (LTLinearClsHead,
                                                  logit_adjustment_refusal)
    from mmlt.registry import MODELS
    head_cfg = copy.deepcopy(cfg.model.get('head', None))
    if not head_cfg:
        raise ValueError('the config\'s model has no head')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    kind = head_cfg.get('type')
    cls = MODELS.get(kind) if isinstance(kind, str) else kind
    name = getattr(cls, '__name__', str(kind))
    if not (isinstance(cls, type) and issubclass(cls, LTLinearClsHead)):
        return HeadSettings(name, False)
    head = MODELS.build(head_cfg)
    return HeadSettings(
        head_type=name,
        takes_options=True,
        logit_adjust_tau=float(head.logit_adjust_tau),
        tau_norm=head.tau_norm,
        logit_bias=head.logit_bias,
        group_logit_bias=head.group_logit_bias,
        logit_adjust_refusal=logit_adjustment_refusal(head.loss_module)
        or config_resampling_refusal(cfg))


def _model_config(cfg: Config) -> dict:
    model_cfg = copy.deepcopy(cfg.model)
    # as the Runner does: a top-level data_preprocessor is the model's
    if cfg.get('data_preprocessor', None) is not None:
        model_cfg.setdefault('data_preprocessor',
                             copy.deepcopy(cfg.data_preprocessor))
    return model_cfg


def _class_count_mismatch(model: torch.nn.Module, state: Dict[str, Any],
                          checkpoint: str) -> Optional[str]:
    """Why ``state`` does not fit ``model`` because of its number of
    classes (None when its head's shapes fit)."""
    own = model.state_dict()
    head = getattr(model, 'head', None)
    expected = getattr(head, 'num_classes', None)
    # the classifier's weight names the mismatch best: look at it first
    keys = sorted(state, key=lambda k: not k.endswith('fc.weight'))
    for key in keys:
        value = state[key]
        if not key.startswith('head.') or key not in own or \
                not hasattr(value, 'shape'):
            continue
        if tuple(value.shape) != tuple(own[key].shape) and value.dim() and \
                own[key].dim() and value.shape[0] != own[key].shape[0]:
            return (f'checkpoint {checkpoint} has {value.shape[0]} classes '
                    f'({key} of shape {tuple(value.shape)}) but the '
                    f'config\'s model has {expected} '
                    f'(model.head.num_classes={expected}): give the config '
                    'the checkpoint was trained with')
    return None


def build_model(cfg: Config, checkpoint: str,
                device: str = 'cpu') -> torch.nn.Module:
    """``cfg.model`` with ``checkpoint`` loaded strictly, in eval mode.

    Raises:
        FileNotFoundError: For a missing checkpoint.
        ValueError: For a checkpoint with another number of classes than
            the config (naming both) or other missing/unexpected weights.
    """
    from mmengine.registry import init_default_scope
    from mmengine.runner.checkpoint import _load_checkpoint

    from mmlt.registry import MODELS
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(_model_config(cfg))
    ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
    state = {k[7:] if k.startswith('module.') else k: v
             for k, v in state.items()}
    mismatch = _class_count_mismatch(model, state, checkpoint)
    if mismatch:
        raise ValueError(mismatch)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ValueError(f'checkpoint {checkpoint} does not fit the '
                         f'config\'s model: {e}') from e
    return model.to(device).eval()


@contextlib.contextmanager
def _predictions_as_logits() -> Iterator[None]:
    """Make ``ClsHead._get_predictions`` return its input (the logits the
    softmax would see) for the duration of a ``predict``."""
    from mmpretrain.models.heads import ClsHead
    original = ClsHead.__dict__['_get_predictions']
    ClsHead._get_predictions = lambda self, cls_score, data_samples: \
        cls_score
    try:
        yield
    finally:
        ClsHead._get_predictions = original


@torch.no_grad()
def run_model(model: torch.nn.Module, batches, want_feats: bool):
    """Logits, ``h`` (or None), labels (or None) and group ids (or None)
    of every sample of ``batches``."""
    from mmlt.structures import read_optional_group_ids
    logits, feats, labels, groups = [], [], [], []
    for batch in batches:
        data = model.data_preprocessor(batch, False)
        samples = data['data_samples']
        x = model.extract_feat(data['inputs'])
        if want_feats:
            feats.append(model.head.pre_logits(x).double().cpu())
        with _predictions_as_logits():
            out = model.head.predict(x, samples)
        logits.append(out.double().cpu())
        if samples is not None:
            for s in samples:
                if 'gt_label' in s:
                    labels.append(int(s.gt_label.reshape(-1)[0]))
            packed = read_optional_group_ids(samples, 'the advisor')
            groups.extend([None] * len(samples) if packed is None
                          else packed)
    if not logits:
        raise ValueError('the dataloader gave no image')
    logits = torch.cat(logits).numpy()
    feats = torch.cat(feats).numpy() if feats else None
    labels = np.asarray(labels, np.int64) if len(labels) == len(
        logits) else None
    groups = None if not groups or any(g is None for g in groups) else \
        np.asarray(groups, np.int64)
    return logits, feats, labels, groups


def _training_counts(model: torch.nn.Module, cfg: Config,
                     num_classes: int) -> Tuple[np.ndarray, str]:
    head = model.head
    if getattr(head, 'class_counts_known', False):
        return head.class_counts.cpu().numpy().astype(np.int64), \
            'the checkpoint\'s head'
    from mmengine.registry import init_default_scope

    from mmlt.datasets.label_utils import get_class_counts
    from mmlt.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset = DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))
    return np.asarray(get_class_counts(dataset, num_classes), np.int64), \
        'the config\'s training set'


def _tau_norm_reason(model: torch.nn.Module,
                     settings: HeadSettings) -> str:
    from mmlt.models.heads.tau_norm import tau_norm_classifier
    try:
        tau_norm_classifier(model.head)
    except ValueError as e:
        return str(e)
    if settings.logit_bias or settings.group_logit_bias:
        return 'the head already adds a logit bias (logit_bias / ' \
            'group_logit_bias), which τ-normalisation would keep on top'
    return ''


def inputs_from_checkpoint(cfg: Config,
                           checkpoint: str,
                           split: str = 'val',
                           batch_size: Optional[int] = None,
                           device: Optional[str] = None
                           ) -> Tuple[AdviceInputs, torch.nn.Module]:
    """Score the ``split`` dataloader of ``cfg`` with ``checkpoint`` once.

    Returns:
        ``(inputs, model)``: the model for scoring more images
        (:func:`~.deployment_images.score_images`).

    Raises:
        ValueError: For a checkpoint whose classes differ from the config's,
            a split without labels, or a split that gives no image.
    """
    from mmengine.runner import Runner

    from mmlt.datasets.label_utils import get_classes
    from mmlt.analysis.label_issue_scoring import split_dataloader_cfg
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    settings = head_settings(cfg)
    model = build_model(cfg, checkpoint, device)
    loader = Runner.build_dataloader(split_dataloader_cfg(cfg, split,
                                                          batch_size))
    reason = _tau_norm_reason(model, settings)
    logits, feats, labels, groups = run_model(model, loader, not reason)
    if labels is None:
        raise ValueError(f'the {split} split has images without gt_label: '
                         'the advisor needs labelled held-out images')
    num_classes = logits.shape[1]
    classes = get_classes(loader.dataset)
    if classes is None or len(classes) != num_classes:
        classes = tuple(str(c) for c in range(num_classes))
    counts, counted = _training_counts(model, cfg, num_classes)
    weight = None if reason else \
        model.head.fc.weight.detach().double().cpu().numpy()
    inputs = AdviceInputs(
        logits=logits, labels=labels, class_counts=counts,
        classes=tuple(str(c) for c in classes),
        source=(f'the {split} split of the config ({len(labels)} images), '
                f'scored once by {checkpoint}'),
        groups=groups, feats=None if reason else feats, weight=weight,
        tau_norm_reason=reason, head=settings)
    inputs.notes.append(f'training class counts from {counted}')
    return inputs, model


def inputs_from_kfold(work_dir: str, cfg: Optional[Config] = None
                      ) -> AdviceInputs:
    """The out-of-fold predictions of a ``tools/kfold_train.py`` work dir.

    Raises:
        FileNotFoundError: If the work dir has no ``oof_predictions.npz``.
        ValueError: For a file that breaks the contract (naming it).
    """
    from mmlt.analysis.label_issues import load_oof_predictions
    path = osp.join(work_dir, 'oof_predictions.npz')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} does not exist: give the work dir of a finished '
            'tools/kfold_train.py run')
    oof = load_oof_predictions(path)
    classes = tuple(str(c) for c in oof.classes)
    counts = np.bincount(oof.gt_label, minlength=len(classes))
    keep = oof.validated
    logits = np.log(np.maximum(oof.probs[keep].astype(np.float64),
                               PROB_FLOOR))
    inputs = AdviceInputs(
        logits=logits, labels=oof.gt_label[keep], class_counts=counts,
        classes=classes,
        source=(f'the out-of-fold predictions of {work_dir} '
                f'({int(keep.sum())} training images, each scored by the '
                'fold model that did not train on it)'),
        groups=oof.group_id[keep],
        tau_norm_reason=('the out-of-fold file holds probabilities only, '
                         'not the classifier\'s input and weights it '
                         'rescales'),
        head=None if cfg is None else head_settings(cfg))
    inputs.notes.append('training class counts: the whole training set '
                        'of the k-fold run (what a model trained on all of '
                        'it sees)')
    if (~keep).any():
        left = sorted({classes[c] for c in oof.gt_label[~keep]})
        inputs.notes.append(f'{int((~keep).sum())} images of classes no '
                            f'fold validated are left out: {left}')
    return inputs
