"""Choose the τ of a τ-normalised classifier on a validation split.

Kang et al., "Decoupling Representation and Classifier for Long-Tailed
Recognition", ICLR 2020: the classifier ``W`` of an instance-balanced model
is rescaled to ``w_c / ||w_c||^τ`` (no bias) and τ is picked on a validation
split. The features ``h`` do not depend on τ, so they are computed once and
every τ costs one ``N x D`` by ``D x C`` product.

``tools/analysis_tools/tau_norm_search.py`` is the command line; the
functions here do the work.
"""
import copy
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config

from mmlt.evaluation.functional import (balanced_accuracy, confusion_matrix,
                                        masked_mean_recall, per_class_scores,
                                        shot_masks)
from mmlt.models.heads.tau_norm import (DEFAULT_TAUS, check_tau,
                                        tau_norm_classifier, tau_normalize)

__all__ = [
    'METRICS', 'best_tau', 'extract_features', 'format_table',
    'prediction_scores', 'search_taus', 'tau_norm_checkpoint',
    'tau_norm_search'
]

# what a row holds (fractions in [0, 1]); selection uses one of the first
# two
METRICS = ('balanced_accuracy', 'top1', 'many', 'medium', 'few')


def check_taus(taus: Sequence[float]) -> List[float]:
    """The τ values as floats; ValueError naming a bad one."""
    if isinstance(taus, (str, bytes)) or not isinstance(taus, Sequence) \
            or len(taus) == 0:
        raise ValueError(f'taus={taus!r} must be a non-empty list of numbers '
                         '>= 0')
    return [check_tau(t, 'tau') for t in taus]


@torch.no_grad()
def extract_features(model: torch.nn.Module,
                     dataloader) -> Tuple[torch.Tensor, torch.Tensor]:
    """The head's input ``h`` (``N x D``, on the CPU) and the labels of
    every sample of ``dataloader``, with ``model`` in eval mode.

    ``model`` is an MMPretrain ``ImageClassifier``: its data preprocessor,
    ``extract_feat`` and ``head.pre_logits`` give ``h`` exactly as
    ``predict`` computes it.
    """
    model.eval()
    feats, labels = [], []
    for batch in dataloader:
        data = model.data_preprocessor(batch, False)
        h = model.head.pre_logits(model.extract_feat(data['inputs']))
        feats.append(h.float().cpu())
        labels.extend(int(s.gt_label.reshape(-1)[0])
                      for s in data['data_samples'])
    if not feats:
        raise ValueError('the dataloader gave no samples')
    return torch.cat(feats), torch.tensor(labels, dtype=torch.long)


def prediction_scores(pred: np.ndarray,
                      labels: np.ndarray,
                      num_classes: int,
                      class_counts: Optional[np.ndarray] = None,
                      many_shot_thr: float = 100,
                      few_shot_thr: float = 20) -> Dict[str, float]:
    """Top-1 and balanced accuracy, and with the training ``class_counts``
    the many/medium/few-shot accuracies (OLTR's split, as
    ``LongTailMetric``); fractions, NaN where undefined."""
    pred, labels = np.asarray(pred), np.asarray(labels)
    scores = per_class_scores(confusion_matrix(labels, pred, num_classes))
    row = dict(
        top1=float(np.mean(pred == labels)),
        balanced_accuracy=balanced_accuracy(scores.recall, scores.support))
    masks = None if class_counts is None else shot_masks(
        class_counts, many_shot_thr, few_shot_thr)
    for shot in ('many', 'medium', 'few'):
        row[shot] = float('nan') if masks is None else masked_mean_recall(
            scores.recall, scores.support, masks[shot])
    return row


def search_taus(feats: torch.Tensor,
                labels: torch.Tensor,
                weight: torch.Tensor,
                taus: Sequence[float] = DEFAULT_TAUS,
                bias: Optional[torch.Tensor] = None,
                class_counts: Optional[np.ndarray] = None,
                many_shot_thr: float = 100,
                few_shot_thr: float = 20) -> List[dict]:
    """Score ``argmax_c tau_normalize(W, τ) h`` for every τ.

    Returns:
        One row per τ (``{'tau': τ, 'top1': ..., 'balanced_accuracy': ...,
        'many': ..., 'medium': ..., 'few': ...}``), preceded, when ``bias``
        is given, by the unmodified classifier ``W h + b`` (``tau=None``).
    """
    taus = check_taus(taus)
    if class_counts is not None and not np.asarray(class_counts).sum():
        class_counts = None
    weight = weight.detach().float().cpu()
    feats, labels = feats.float(), labels.numpy()
    num_classes = weight.shape[0]

    def score(logits: torch.Tensor) -> dict:
        return prediction_scores(logits.argmax(1).numpy(), labels,
                                 num_classes, class_counts, many_shot_thr,
                                 few_shot_thr)

    rows = []
    if bias is not None:
        logits = feats @ weight.t() + bias.detach().float().cpu()
        rows.append(dict(tau=None, **score(logits)))
    for tau in taus:
        rows.append(dict(tau=tau, **score(feats @ tau_normalize(weight,
                                                                tau).t())))
    return rows


def best_tau(rows: Sequence[dict], metric: str = 'balanced_accuracy') -> dict:
    """The row with the highest ``metric`` among the τ rows; on a tie the
    smallest τ (the classifier changed least)."""
    if metric not in ('balanced_accuracy', 'top1'):
        raise ValueError(f'metric={metric!r} must be "balanced_accuracy" or '
                         '"top1"')
    candidates = [r for r in rows if r['tau'] is not None]
    if not candidates:
        raise ValueError('no τ row to choose from')
    return max(candidates, key=lambda r: (r[metric], -r['tau']))


def format_table(rows: Sequence[dict], best: Optional[dict] = None) -> str:
    """The rows as a text table in percent (``-`` for undefined)."""
    head = f'{"tau":>8} {"top-1":>7} {"balanced":>9} {"many":>7} ' \
        f'{"medium":>7} {"few":>7}'
    lines = [head, '-' * len(head)]

    def pct(value: float) -> str:
        return '-' if value is None or math.isnan(value) else \
            f'{100 * value:.2f}'

    for row in rows:
        name = 'W h + b' if row['tau'] is None else f'{row["tau"]:g}'
        line = f'{name:>8} {pct(row.get("top1")):>7} ' \
            f'{pct(row.get("balanced_accuracy")):>9} ' \
            f'{pct(row.get("many")):>7} {pct(row.get("medium")):>7} ' \
            f'{pct(row.get("few")):>7}'
        if best is not None and row is best:
            line += '   <- best'
        lines.append(line)
    return '\n'.join(lines)


def _shot_thresholds(cfg: Config, split: str) -> Tuple[float, float]:
    evaluator = cfg.get(f'{split}_evaluator', None)
    metrics = evaluator if isinstance(evaluator, list) else [evaluator]
    for metric in metrics:
        if isinstance(metric, dict) and metric.get('type') == \
                'LongTailMetric':
            return (metric.get('many_shot_thr', 100),
                    metric.get('few_shot_thr', 20))
    return 100, 20


def tau_norm_search(cfg: Config,
                    checkpoint: str,
                    taus: Sequence[float] = DEFAULT_TAUS,
                    split: str = 'val',
                    metric: str = 'balanced_accuracy',
                    device: Optional[str] = None) -> dict:
    """Build ``cfg``'s model with ``checkpoint``, extract the features of
    the ``split`` dataloader once and score every τ.

    Returns:
        ``{'rows': [...], 'best': row, 'num_samples': N, 'split': split,
        'val_is_test': bool, 'head_fc': 'head.fc'}``.
    """
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, load_checkpoint

    from mmlt.registry import MODELS
    if split not in ('val', 'test'):
        raise ValueError(f'split={split!r} must be "val" or "test"')
    taus = check_taus(taus)
    if metric not in ('balanced_accuracy', 'top1'):
        raise ValueError(f'metric={metric!r} must be "balanced_accuracy" or '
                         '"top1"')
    loader_cfg = cfg.get(f'{split}_dataloader', None)
    if not loader_cfg:
        raise ValueError(f'the config has no {split}_dataloader')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = copy.deepcopy(cfg.model)
    # as the Runner does: a top-level data_preprocessor (mean/std...) is the
    # model's
    if cfg.get('data_preprocessor', None) is not None:
        model_cfg.setdefault('data_preprocessor',
                             copy.deepcopy(cfg.data_preprocessor))
    model = MODELS.build(model_cfg)
    head = getattr(model, 'head', None)
    fc = tau_norm_classifier(head)
    if hasattr(head, 'set_tau_norm'):
        head.set_tau_norm(None)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model.to(device)
    loader = Runner.build_dataloader(copy.deepcopy(loader_cfg))
    feats, labels = extract_features(model, loader)
    counts = getattr(head, 'class_counts', None)
    counts = None if counts is None else counts.cpu().numpy()
    many, few = _shot_thresholds(cfg, split)
    rows = search_taus(feats, labels, fc.weight, taus, fc.bias, counts,
                       many, few)
    val, test = cfg.get('val_dataloader'), cfg.get('test_dataloader')
    fc_name = next(n for n, m in model.named_modules() if m is fc)
    return dict(
        rows=rows,
        best=best_tau(rows, metric),
        num_samples=len(labels),
        split=split,
        val_is_test=bool(val and test and val.get('dataset') ==
                         test.get('dataset')),
        head_fc=fc_name)


def tau_norm_checkpoint(checkpoint: str, out: str, tau: float,
                        fc: str = 'head.fc') -> None:
    """Write ``checkpoint`` with the classifier ``fc`` replaced by its
    τ-normalised weights and a zero bias, so the unmodified config predicts
    with the τ-normalised classifier (``meta['tau_norm']`` records τ).
    Only ``meta`` and ``state_dict`` are kept: it is not a resume point."""
    from mmengine.runner.checkpoint import _load_checkpoint
    tau = check_tau(tau, 'tau')
    ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    state = dict(ckpt.get('state_dict', ckpt))
    key = f'{fc}.weight'
    if key not in state:
        raise KeyError(f'{checkpoint} has no {key!r} in its state_dict')
    state[key] = tau_normalize(state[key], tau)
    if f'{fc}.bias' in state:
        state[f'{fc}.bias'] = torch.zeros_like(state[f'{fc}.bias'])
    meta = dict(ckpt.get('meta', {}) if isinstance(ckpt, dict) else {})
    meta.update(tau_norm=tau, tau_norm_source=str(checkpoint))
    torch.save(dict(meta=meta, state_dict=state), out)
