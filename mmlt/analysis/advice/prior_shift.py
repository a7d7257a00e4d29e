"""Deployment where the class mix differs from training: adjust the logits
for a known or estimated target prior, and re-sample a labelled set to a
class profile (to measure it).

With ``π`` the training prior and ``q`` the deployment one, Bayes' rule
gives ``p_q(y|x) ∝ p_π(y|x) · q_y / π_y`` (the label-shift assumption:
``p(x|y)`` unchanged), i.e. the logits gain ``log q_y − log π_y``
(:func:`prior_shift_bias`; the head adds it as ``model.head.logit_bias``).
When ``q`` is unknown, :func:`em_prior` estimates it from the model's
probabilities on unlabelled deployment images by EM (Saerens, Latinne &
Decaestecker, "Adjusting the Outputs of a Classifier to New a Priori
Probabilities: A Simple Procedure", Neural Computation 2002, Eqs. 2.9–2.10):

    p^(s)(y|x_i) ∝ p_π(y|x_i) · q^(s)_y / π_y,
    q^(s+1)_y = mean_i p^(s)(y|x_i),

from ``q^(0) = π`` until ``q`` stops moving.
"""
import csv
import math
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'PROFILES', 'PRIOR_FLOOR', 'check_prior', 'prior_shift_bias', 'em_prior',
    'read_prior_file', 'profile_weights', 'resample_to_profile'
]

#: Class profiles :func:`profile_weights` knows.
PROFILES = ('train', 'uniform', 'reversed')
#: A target weight of 0 (a class absent in deployment) becomes this before
#: the log, so its bias is finite (about -18.4: never predicted).
PRIOR_FLOOR = 1e-8


def check_prior(weights, num_classes: int,
                what: str = 'target prior') -> np.ndarray:
    """``weights`` normalised to sum 1; ValueError naming ``what`` for a
    wrong length, a negative, infinite or NaN weight, or a zero sum."""
    values = np.asarray(weights, dtype=np.float64).reshape(-1)
    if values.size != num_classes:
        raise ValueError(f'{what} has {values.size} weights but there are '
                         f'{num_classes} classes')
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise ValueError(f'{what}: class {int(bad[0])} has weight '
                         f'{values[bad[0]]!r}; weights must be finite and '
                         '>= 0')
    if values.sum() <= 0:
        raise ValueError(f'{what}: the weights sum to 0')
    return values / values.sum()


def prior_shift_bias(train_prior: np.ndarray,
                     target_prior: np.ndarray) -> np.ndarray:
    """``log q − log π`` per class (``q`` floored at
    :data:`PRIOR_FLOOR`)."""
    train = check_prior(train_prior, np.size(train_prior), 'training prior')
    if (train <= 0).any():
        raise ValueError('the training prior has a class with no image: '
                         f'{np.flatnonzero(train <= 0).tolist()}')
    target = check_prior(target_prior, train.size)
    return np.log(np.maximum(target, PRIOR_FLOOR)) - np.log(train)


def em_prior(probs: np.ndarray, train_prior: np.ndarray,
             max_iter: int = 1000,
             tol: float = 1e-8) -> Tuple[np.ndarray, int]:
    """Saerens et al.'s EM estimate of the deployment prior.

    Args:
        probs: ``(N, C)`` the model's probabilities (under the training
            prior) of unlabelled deployment images.
        train_prior: ``(C,)`` the training prior.
        max_iter: Most iterations.
        tol: Stop when no class's estimate moves by more than this.

    Returns:
        ``(q, iterations)``: the estimated prior and the iterations run.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or not probs.shape[0]:
        raise ValueError(f'probs must be a non-empty (N, C) array, got '
                         f'shape {probs.shape}')
    if not np.isfinite(probs).all() or (probs < 0).any():
        raise ValueError('probs must be finite and >= 0')
    train = check_prior(train_prior, probs.shape[1], 'training prior')
    if (train <= 0).any():
        raise ValueError('the training prior has a class with no image')
    prior = train.copy()
    for step in range(1, max_iter + 1):
        adjusted = probs * (prior / train)[None]
        adjusted /= np.maximum(adjusted.sum(1, keepdims=True), 1e-300)
        new = adjusted.mean(0)
        done = np.abs(new - prior).max() < tol
        prior = new
        if done:
            return prior, step
    return prior, max_iter


def read_prior_file(path: str,
                    classes: Sequence[str]) -> np.ndarray:
    """Per-class weights from a text or CSV file, normalised.

    One line per class: either a weight alone (``0.2``), in class order, or
    ``class name,weight`` (any order; an optional header line
    ``class,weight``). Blank lines and lines starting with ``#`` are
    skipped.

    Raises:
        FileNotFoundError: For a missing file.
        ValueError: Naming the file and line of a bad weight or an unknown
            or repeated class, or a count that is not the number of classes.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'target prior file {path} does not exist')
    classes = [str(c) for c in classes]
    index = {c: i for i, c in enumerate(classes)}
    plain: List[float] = []
    named = {}
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    for line, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith('#'):
            continue
        if len(cells) == 2 and line == 1 and \
                cells[1].lower() in ('weight', 'prior', 'p'):
            continue  # a header
        try:
            weight = float(cells[-1])
        except ValueError:
            raise ValueError(f'{path}, line {line}: {cells[-1]!r} is not a '
                             'number') from None
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f'{path}, line {line}: weight {weight!r} must '
                             'be finite and >= 0')
        if len(cells) == 1:
            plain.append(weight)
        elif len(cells) == 2:
            if cells[0] not in index:
                raise ValueError(f'{path}, line {line}: unknown class '
                                 f'{cells[0]!r} (classes: {classes})')
            if cells[0] in named:
                raise ValueError(f'{path}, line {line}: class {cells[0]!r} '
                                 'given twice')
            named[cells[0]] = weight
        else:
            raise ValueError(f'{path}, line {line}: expected "weight" or '
                             f'"class,weight", got {row!r}')
    if plain and named:
        raise ValueError(f'{path}: mixes plain weights and "class,weight" '
                         'lines; use one form')
    if named:
        missing = [c for c in classes if c not in named]
        if missing:
            raise ValueError(f'{path}: no weight for classes {missing}')
        plain = [named[c] for c in classes]
    if len(plain) != len(classes):
        raise ValueError(f'{path}: {len(plain)} weights but there are '
                         f'{len(classes)} classes ({classes})')
    return check_prior(plain, len(classes), f'target prior {path}')


def profile_weights(train_counts: Sequence[int], profile: str) -> np.ndarray:
    """Class weights of a test profile (as SADE's test-agnostic protocol,
    Zhang et al., NeurIPS 2022): ``'train'`` the training counts,
    ``'uniform'`` equal, ``'reversed'`` the long tail turned around (the
    class with the most training images gets the weight of the one with
    the fewest, and so on)."""
    counts = np.asarray(train_counts, dtype=np.float64).reshape(-1)
    if profile == 'train':
        weights = counts
    elif profile == 'uniform':
        weights = np.ones_like(counts)
    elif profile == 'reversed':
        order = np.argsort(-counts, kind='stable')
        weights = np.empty_like(counts)
        weights[order] = counts[order[::-1]]
    else:
        raise ValueError(f'profile={profile!r} is not one of {PROFILES}')
    return check_prior(weights, counts.size, f'{profile} profile')


def resample_to_profile(labels: np.ndarray, weights: np.ndarray,
                        seed: int = 0,
                        size: Optional[int] = None) -> np.ndarray:
    """Positions of a subset of a labelled set whose class mix is
    ``weights``, drawn without replacement.

    Class ``c`` gets ``floor(q_c · n)`` images, with ``n`` the largest
    total every class can supply (``min_c m_c / q_c`` over the classes with
    ``q_c > 0``, ``m_c`` its images) or ``size`` if smaller.

    Raises:
        ValueError: If a class with a positive weight has no image, or
            ``size`` asks for more than the set can give at that mix.
    """
    labels = np.asarray(labels, np.int64).reshape(-1)
    weights = np.asarray(weights, np.float64).reshape(-1)
    q = check_prior(weights, weights.size, 'profile')
    have = np.bincount(labels, minlength=q.size)[:q.size]
    needed = np.flatnonzero((q > 0) & (have == 0))
    if needed.size:
        raise ValueError(f'classes {needed.tolist()} have a positive weight '
                         'but no image to draw')
    most = int(np.floor(min(have[c] / q[c] for c in np.flatnonzero(q > 0))
                        + 1e-9))
    if size is not None:
        if size > most:
            raise ValueError(f'size={size} is more than the {most} images '
                             'the set gives at this class mix')
        most = size
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.flatnonzero(q > 0):
        take = int(np.floor(q[c] * most + 1e-9))
        members = np.flatnonzero(labels == c)
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, int)
