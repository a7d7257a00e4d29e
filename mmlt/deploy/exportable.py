"""What gets exported: a trained classifier as one ``inputs -> scores``
module.

The exported graph is the model's *inference* path on the normalised
batch: ``extract_feat`` and the head's ``predict`` up to MMPretrain's
``ClsHead._get_predictions``, whose softmax probabilities are the output
(so whatever a head does before it, e.g. mmlt's ``tau_norm`` or logit
adjustment, is in the graph). For mmlt's ``DeepSupervisionHead`` that is
the main head only (its ``predict``); a TTA wrapper (``tta_model`` of a
config) is not exported: ``cfg.model`` is. mmlt's ensembles
(``ScoreEnsemble``, ``GroupRoutedEnsemble``) are refused: export each
member's config and checkpoint instead (the refusal lists them).
"""
import contextlib
import os.path as osp
from typing import Any, Iterator, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

__all__ = [
    'ExportError', 'ScoresModule', 'build_classifier', 'check_exportable',
    'training_class_counts'
]


class ExportError(ValueError):
    """A model or checkpoint that cannot be exported."""


@contextlib.contextmanager
def _predictions_as_scores() -> Iterator[None]:
    """Make ``ClsHead._get_predictions`` return the softmax tensor instead
    of data samples, for the duration of a forward (and of its export)."""
    from mmpretrain.models.heads import ClsHead
    original = ClsHead.__dict__['_get_predictions']

    def scores(self, cls_score, data_samples):
        return torch.softmax(cls_score, dim=1)

    ClsHead._get_predictions = scores
    try:
        yield
    finally:
        ClsHead._get_predictions = original


class ScoresModule(nn.Module):
    """``(N, C, H, W)`` normalised float batch -> ``(N, num_classes)``
    softmax probabilities, equal to ``model.predict``'s ``pred_score``.

    Args:
        model: A built MMPretrain ``ImageClassifier`` (any subclass with
            ``extract_feat`` and a ``head``).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.backbone_and_head = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        model = self.backbone_and_head
        feats = model.extract_feat(inputs)
        with _predictions_as_scores():
            scores = model.head.predict(feats)
        return scores


def _refuse_ensemble(kind: str, members: List[dict]) -> None:
    listed = '; '.join(
        f"{m.get('name', '?')}: config {m.get('config', '(inline model)')}, "
        f"checkpoint {m.get('checkpoint')}" for m in members)
    raise ExportError(
        f'{kind} is an ensemble of {len(members)} models and is not exported '
        'as one graph (a group-routed ensemble needs group ids the image '
        'does not carry). Export each member with its own config and '
        'checkpoint and average their scores' +
        (f' (members: {listed})' if listed else '') + '.')


def check_exportable(model: nn.Module, input_shape: List[int]) -> None:
    """Refuse an ensemble, a model without a head, or a head whose
    ``predict`` does not end in ``ClsHead``'s softmax predictions.

    Raises:
        ExportError: Naming the model or head type and why.
    """
    members = getattr(model, 'members', None)
    if isinstance(members, nn.ModuleDict):
        _refuse_ensemble(type(model).__name__, [
            dict(name=s.name, checkpoint=s.checkpoint)
            for s in getattr(model, 'specs', [])
        ])
    for attr in ('extract_feat', 'head'):
        if getattr(model, attr, None) is None:
            raise ExportError(f'{type(model).__name__} has no {attr}: only '
                              'image classifiers with a head are exported')
    head = model.head
    try:
        with torch.no_grad():
            out = ScoresModule(model).eval()(torch.zeros(2, *input_shape))
    except Exception as e:  # noqa: BLE001 - re-raised with the head named
        raise ExportError(
            f'the head {type(head).__name__} cannot be exported: its '
            'predict does not end in ClsHead._get_predictions (the softmax '
            f'class scores) ({type(e).__name__}: {e}); for mmlt\'s '
            'GroupMultiTaskHead, tools/model_converters/export_main_head.py '
            'writes the main path as a config and checkpoint to export') \
            from e
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or \
            out.shape[0] != 2:
        raise ExportError(
            f'the head {type(head).__name__} cannot be exported: its '
            'predict returns '
            f'{type(out).__name__}, not a (batch, classes) score tensor')


def _model_config(cfg: Config) -> dict:
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else \
        dict(cfg.model)
    # as the Runner does: the top-level data_preprocessor is the model's
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return model_cfg


def build_classifier(cfg: Config, checkpoint: str) -> nn.Module:
    """Build ``cfg.model`` and load ``checkpoint`` into it (eval mode, CPU).

    Raises:
        FileNotFoundError: If ``checkpoint`` does not exist.
        ExportError: For an ensemble (see :func:`check_exportable`) or a
            checkpoint whose weights do not fit the model.
    """
    import mmlt.models  # noqa: F401 - registers mmlt's models
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    model_cfg = _model_config(cfg)
    from mmlt.models.classifiers import BaseEnsemble
    kind = model_cfg.get('type')
    cls = MODELS.get(kind) if isinstance(kind, str) else kind
    if isinstance(cls, type) and issubclass(cls, BaseEnsemble):
        _refuse_ensemble(cls.__name__, list(model_cfg.get('members') or []))
    if not isinstance(checkpoint, str) or not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    model = MODELS.build(model_cfg)
    ckpt = load_checkpoint(model, checkpoint, map_location='cpu',
                           strict=False)
    missing, unexpected = _key_mismatch(model, ckpt)
    if missing:
        raise ExportError(
            f'checkpoint {checkpoint} does not fit {type(model).__name__} of '
            f'the config: {len(missing)} weights missing, e.g. '
            f'{missing[:3]}' + (f'; unexpected {unexpected[:3]}'
                                if unexpected else ''))
    return model.eval()


def _key_mismatch(model: nn.Module, ckpt: Any):
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
    state = {k[7:] if k.startswith('module.') else k: v
             for k, v in state.items()}
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    return missing, unexpected


def training_class_counts(model: nn.Module) -> Optional[np.ndarray]:
    """The training class counts the checkpoint's head holds (mmlt's
    heads keep them in a buffer), else None."""
    from mmlt.models.heads.lt_linear_head import find_head
    head = find_head(model)
    if head is None or not getattr(head, 'class_counts_known', False):
        return None
    return head.class_counts.detach().cpu().numpy().astype(np.int64)
