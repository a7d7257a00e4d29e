"""Precision and recall of the label-issue finder on digits with injected
label flips.

Usage: ``python -m benchmarks.bench_label_issues [--rates 0.05 0.1]
[--seeds 0 1 2] [--out docs/benchmarks.md]``.

Data: the training split of mmlt's ``DigitsLT`` (scikit-learn's embedded
8x8 scans, long-tailed with imbalance ratio 10, 544 images, 10 classes; the
same subset for every seed). For each rate and seed, ``round(rate · N)``
training labels are flipped to another class drawn uniformly (seeded);
``K`` = the number of flips. Each ranking is scored on its top ``K``:
precision = flips among those rows / rows (a finder may return fewer than
``K``), recall = flips among them / ``K``.

Out-of-fold probabilities, two sources:

* ``logreg`` (every seed): scikit-learn's ``LogisticRegression``
  (``max_iter=2000``) on the 64 grey levels scaled to [0, 1], trained on
  the noisy labels of 4 folds and predicting the 5th (``StratifiedKFold(5,
  shuffle=True, random_state=seed)`` on the noisy labels; a class with fewer
  than 5 images would be left unvalidated, fold -1, as the k-fold driver's
  contract says).
* ``kfold`` (``--kfold-epochs E`` > 0; about 2.5 s per fold and epoch on
  2 CPU cores): the project's k-fold driver
  (:func:`mmlt.apis.kfold.kfold_train`) training
  ``configs/lt/convnext_focal.py``'s model for ``E`` epochs per fold on
  the same images written as PNGs with a CSV of the noisy labels
  (``GroupAnnotationDataset``), its ``oof_predictions.npz`` read as is.

Both are written/read through the k-fold contract
(:func:`mmlt.analysis.label_issues.load_oof_predictions`). Rows of the
table (the finder's functions, not re-implementations):

* (a) confident learning: :func:`~mmlt.analysis.label_issues.
  oof_label_issues` (cleanlab ``find_label_issues``, ``prune_by_noise_rate``,
  ranked by self-confidence), its list cut at ``K``;
* (a) ranking only: every validated image ranked by cleanlab's
  self-confidence score, top ``K`` (the ranking without cleanlab's filter);
* (b) robust z of the per-image loss −log p(given) within each given class
  (:func:`~mmlt.analysis.label_issues.loss_outlier_issues`, z > 3.5), on
  the out-of-fold probabilities, and on the probabilities of a model
  trained on all the noisy labels and scored on them (in-sample: what the
  checkpoint mode sees when it scores the split the checkpoint was trained
  on; ``logreg`` source: a LogisticRegression fit on all noisy labels).

Writes section ``label-issues`` of ``--out`` with the command that wrote
it; not run in CI.
"""
import argparse
import csv
import os
import os.path as osp
import shlex
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from benchmarks.common import ROOT, git_provenance, machine_info
from benchmarks.lt_logs import format_mean_std
from benchmarks.page import write_report

SECTION = 'label-issues'
KFOLD_CONFIG = 'configs/lt/convnext_focal.py'
ROWS = ('(a) cleanlab find_label_issues', '(a) cleanlab ranking only',
        '(b) robust z, out-of-fold loss', '(b) robust z, in-sample loss')


def digits_lt_train() -> Tuple[np.ndarray, np.ndarray]:
    """The DigitsLT training split: ``(images uint8 N x 8 x 8, labels)``."""
    import mmlt  # noqa: F401
    from mmlt.registry import DATASETS
    dataset = DATASETS.build(
        dict(type='DigitsLT', split='train', imbalance_ratio=10,
             test_per_class=40, pipeline=[]))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    images = np.stack([info['img'][..., 0] for info in infos])
    return images, np.array([info['gt_label'] for info in infos], np.int64)


def flip_labels(labels: np.ndarray, rate: float, num_classes: int,
                seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """``round(rate · N)`` labels moved to another class drawn uniformly.

    Returns:
        ``(noisy labels, flipped positions)``.
    """
    if not 0 < rate < 1:
        raise ValueError(f'rate={rate} must be in (0, 1)')
    rng = np.random.default_rng(seed)
    flips = np.sort(rng.choice(len(labels), int(round(rate * len(labels))),
                               replace=False))
    noisy = labels.copy()
    noisy[flips] = (labels[flips] +
                    rng.integers(1, num_classes, len(flips))) % num_classes
    return noisy, flips


def logreg_oof(features: np.ndarray, labels: np.ndarray, num_classes: int,
               folds: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities of a LogisticRegression and each row's
    fold (-1 and a NaN row for classes smaller than ``folds``)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    counts = np.bincount(labels, minlength=num_classes)
    usable = np.flatnonzero(counts[labels] >= folds)
    probs = np.full((len(labels), num_classes), np.nan)
    fold = np.full(len(labels), -1, np.int64)
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for k, (train, val) in enumerate(split.split(usable, labels[usable])):
        train, val = usable[train], usable[val]
        model = LogisticRegression(max_iter=2000).fit(features[train],
                                                      labels[train])
        p = np.zeros((len(val), num_classes))
        p[:, model.classes_] = model.predict_proba(features[val])
        probs[val], fold[val] = p, k
    return probs, fold


def logreg_in_sample(features: np.ndarray, labels: np.ndarray,
                     num_classes: int) -> np.ndarray:
    """Probabilities of a LogisticRegression fit on all (noisy) labels, for
    the same images."""
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(max_iter=2000).fit(features, labels)
    probs = np.zeros((len(labels), num_classes))
    probs[:, model.classes_] = model.predict_proba(features)
    return probs


def save_oof(path: str, probs: np.ndarray, labels: np.ndarray,
             fold: np.ndarray, classes: Sequence[str]) -> str:
    """An ``oof_predictions.npz`` by the k-fold driver's contract."""
    np.savez(path, probs=probs.astype(np.float32),
             gt_label=labels.astype(np.int64),
             group_id=np.zeros(len(labels), np.int64), fold=fold,
             index=np.arange(len(labels), dtype=np.int64),
             filename=np.array([f'{i}.png' for i in range(len(labels))]),
             classes=np.array(classes))
    return path


def top_k_scores(ranked: Sequence[int], flips: np.ndarray,
                 k: int) -> Dict[str, float]:
    """Precision and recall (%) of the first ``k`` ranked positions."""
    top = np.asarray(ranked[:k], dtype=np.int64)
    hits = int(np.isin(top, flips).sum())
    return dict(precision=100. * hits / len(top) if len(top) else np.nan,
                recall=100. * hits / k, returned=float(len(ranked)))


def evaluate(oof_path: str, in_sample: Optional[np.ndarray],
             flips: np.ndarray) -> Dict[str, Dict[str, float]]:
    """Every row of the table for one out-of-fold file. Positions are the
    file's ``index`` (the training set's order)."""
    from mmlt.analysis import label_issues as li
    oof = li.load_oof_predictions(oof_path)
    k = len(flips)
    rows, summary = li.oof_label_issues(oof)
    out = {ROWS[0]: top_k_scores([r['index'] for r in rows], flips, k)}
    keep = np.flatnonzero(oof.validated)
    probs, labels = oof.probs[keep], oof.gt_label[keep]
    self_conf = probs[np.arange(len(keep)), labels]
    out[ROWS[1]] = top_k_scores(oof.index[keep][np.argsort(self_conf,
                                                           kind='stable')],
                                flips, k)

    def outliers(p: np.ndarray, index: np.ndarray,
                 given: np.ndarray) -> List[int]:
        rows, _ = li.loss_outlier_issues(
            index, [''] * len(index), given, p[np.arange(len(index)), given],
            p.argmax(1), np.zeros(len(index), np.int64),
            [str(c) for c in oof.classes])
        return [r['index'] for r in rows]

    out[ROWS[2]] = top_k_scores(outliers(probs, oof.index[keep], labels),
                                flips, k)
    if in_sample is not None:
        out[ROWS[3]] = top_k_scores(
            outliers(in_sample, oof.index, oof.gt_label), flips, k)
    for scores in out.values():
        scores['unvalidated'] = float(summary['num_unvalidated'])
    accuracy = float(np.mean(probs.argmax(1) == labels))
    for scores in out.values():
        scores['oof_accuracy_noisy'] = 100. * accuracy
    return out


# ----------------------------------------------------------- k-fold driver
def write_png_dataset(root: str, images: np.ndarray, labels: np.ndarray,
                      classes: Sequence[str]) -> None:
    """The digits as PNGs (grey, 8x8) with ``train.csv`` of ``labels`` and
    ``classes.txt``, for GroupAnnotationDataset."""
    import cv2
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    with open(osp.join(root, 'train.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filename', 'label'])
        for i, (img, label) in enumerate(zip(images, labels)):
            name = f'{i:04d}.png'
            cv2.imwrite(osp.join(root, 'images', name), img)
            writer.writerow([name, classes[label]])


def kfold_config(root: str, work_dir: str, epochs: int, seed: int):
    """The demo config (ConvNeXt-atto, FocalLoss, digits pipeline) on the
    PNG folder, ``epochs`` epochs with one warm-up epoch then cosine."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, KFOLD_CONFIG))
    pipeline = [dict(type='StrictLoadImageFromFile'),
                dict(type='Resize', scale=32, interpolation='bilinear'),
                dict(type='PackInputs', algorithm_keys=['group_id'])]
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset = dict(type='GroupAnnotationDataset', data_root=root,
                              ann_file='train.csv', data_prefix='images',
                              classes='classes.txt', pipeline=pipeline,
                              test_mode=split != 'train')
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=epochs)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.default_hooks.long_tail_context.plot = False
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    return cfg


def kfold_oof(images: np.ndarray, labels: np.ndarray,
              classes: Sequence[str], work_dir: str, epochs: int,
              seed: int) -> str:
    """Run the project's k-fold driver (3 folds, stratified by class) on
    the noisy PNG folder; returns its ``oof_predictions.npz``."""
    from mmlt.apis.kfold import kfold_train
    root = osp.join(work_dir, 'data')
    write_png_dataset(root, images, labels, classes)
    kfold_train(kfold_config(root, osp.join(work_dir, 'kfold'), epochs,
                             seed), num_splits=3, seed=seed)
    return osp.join(work_dir, 'kfold', 'oof_predictions.npz')


# ---------------------------------------------------------------- report
def render_section(results: Dict[Tuple[str, float], Dict[str, List[dict]]],
                   info: Dict[str, str]) -> str:
    """Markdown: one table row per (source, rate, finder), mean ± sample
    std over seeds."""
    def cell(key: str, runs: List[dict], digits: int) -> str:
        return format_mean_std([r[key] for r in runs], digits)

    lines = [
        '## Label issues: finding injected label flips in digits-LT '
        '(benchmarks/bench_label_issues.py)', '',
        '| OOF source | flipped | K | seeds | finder | precision@K (%) | '
        'recall@K (%) | returned | OOF acc. vs noisy labels (%) |',
        '|---|---:|---:|---:|---|---:|---:|---:|---:|'
    ]
    for (source, rate), per_row in results.items():
        for name, runs in per_row.items():
            lines.append(
                f'| {source} | {100 * rate:g}% | '
                f'{"/".join(sorted({str(r["k"]) for r in runs}))} | '
                f'{len(runs)} | {name} | '
                f'{cell("precision", runs, 1)} | {cell("recall", runs, 1)} | '
                f'{cell("returned", runs, 1)} | '
                f'{cell("oof_accuracy_noisy", runs, 1)} |')
    lines += [
        '', 'precision@K: flips among the first K rows of the finder\'s '
        'ranked list (or all of it when it returns fewer) over those rows; '
        'recall@K: flips among them over K. K = number of flipped labels; '
        '"returned" = rows the finder listed in all (cleanlab\'s filter and '
        'the z > 3.5 cut-off decide it; the ranking-only row ranks every '
        'image). Mean ± sample std over seeds (seed = the flips, the fold '
        'split and the k-fold run\'s randomness).', '',
        'How to read it: the (a) rows rank by the out-of-fold probability '
        'of the given label across all classes; the (b) rows rank by a '
        'z-score computed within each given class, so an image of a class '
        'the model fits tightly (small MAD of the loss) can outrank a flip '
        'in a class it fits loosely, and z > 3.5 also lists correctly '
        'labelled hard images.', '',
        f'- Data: {info["data"]}',
        f'- Out-of-fold probabilities: {info["oof"]}',
        f'- Machine: {info["machine"]}; run time {info["time"]}',
    ]
    if info.get('provenance'):
        lines.append(f'- Code: {info["provenance"]}')
    lines += ['- Command:', '', '```bash', info['command'], '```']
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rates', type=float, nargs='+', default=[0.05, 0.1])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--folds', type=int, default=5,
                        help='folds of the LogisticRegression source')
    parser.add_argument('--kfold-epochs', type=int, default=0,
                        help='also run the k-fold driver (ConvNeXt-atto, 3 '
                        'folds, this many epochs per fold) for every rate '
                        'and seed; 0 skips it')
    parser.add_argument('--work-dir',
                        default='work_dirs/bench_label_issues')
    parser.add_argument('--out', help='markdown file whose label-issues '
                        'section to rewrite (e.g. docs/benchmarks.md)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.time()
    images, labels = digits_lt_train()
    classes = [str(c) for c in range(10)]
    features = images.reshape(len(images), -1) / 255.
    os.makedirs(args.work_dir, exist_ok=True)
    results: Dict[Tuple[str, float], Dict[str, List[dict]]] = {}
    for rate in args.rates:
        for seed in args.seeds:
            noisy, flips = flip_labels(labels, rate, len(classes), seed)
            probs, fold = logreg_oof(features, noisy, len(classes),
                                     args.folds, seed)
            path = save_oof(
                osp.join(args.work_dir, f'logreg_{rate:g}_{seed}.npz'),
                probs, noisy, fold, classes)
            runs = evaluate(path, logreg_in_sample(features, noisy,
                                                   len(classes)), flips)
            _collect(results, 'logreg', rate, runs, len(flips))
            print(f'[bench] logreg rate {rate:g} seed {seed}: ' + ', '.join(
                f'{n}: {s["precision"]:.1f}/{s["recall"]:.1f}'
                for n, s in runs.items()), flush=True)
            if args.kfold_epochs > 0:
                oof_path = kfold_oof(
                    images, noisy, classes,
                    osp.join(args.work_dir, f'kfold_{rate:g}_{seed}'),
                    args.kfold_epochs, seed)
                runs = evaluate(oof_path, None, flips)
                _collect(results, 'kfold', rate, runs, len(flips))
                print(f'[bench] kfold rate {rate:g} seed {seed}: ' +
                      ', '.join(f'{n}: {s["precision"]:.1f}/'
                                f'{s["recall"]:.1f}'
                                for n, s in runs.items()), flush=True)
    results = dict(sorted(results.items()))
    command = shlex.join(['python', '-m', 'benchmarks.bench_label_issues'] +
                         list(argv if argv is not None else sys.argv[1:]))
    oof = ('`logreg`: LogisticRegression(max_iter=2000) on the 64 grey '
           'levels scaled to [0, 1], StratifiedKFold('
           f'{args.folds}, shuffle, seed) on the noisy labels; in-sample '
           'row: the same model fit on all noisy labels and scored on them.')
    if args.kfold_epochs > 0:
        oof += (f' `kfold`: mmlt.apis.kfold.kfold_train, 3 folds stratified '
                f'by class, `{KFOLD_CONFIG}` (ConvNeXt-atto, FocalLoss) '
                f'trained {args.kfold_epochs} epochs per fold on the images '
                'as 8x8 PNGs + a CSV of the noisy labels.')
    info = dict(
        data=f'DigitsLT training split (scikit-learn digits, imbalance ratio '
        f'10, {len(labels)} images, 10 classes, class counts '
        f'{np.bincount(labels).tolist()}); round(rate x N) labels flipped '
        'to another class drawn uniformly',
        oof=oof,
        machine=machine_info(sys.executable),
        time=f'{(time.time() - start) / 60:.1f} min',
        provenance=git_provenance(),
        command=command)
    body = render_section(results, info)
    print(body)
    if args.out:
        write_report(args.out, SECTION, body)
        print(f'updated {args.out}')
    return 0


def _collect(results: Dict[Tuple[str, float], Dict[str, List[dict]]],
             source: str, rate: float, runs: Dict[str, Dict[str, float]],
             k: int) -> None:
    per_row = results.setdefault((source, rate), {})
    for name, scores in runs.items():
        per_row.setdefault(name, []).append(dict(scores, k=k))


if __name__ == '__main__':
    sys.exit(main())
