"""When does the walkthrough's fold ensemble beat the model trained on all
the data? README's "Your own data, end to end", steps 2, 3 and 5, measured.

Usage: ``python -m benchmarks.own_data_kfold [--seeds 0 1 2] [--folds 2 3]
[--epochs 30] [--reuse] [--out docs/benchmarks.md]`` (from the repository
root; Fashion-MNIST unpacked under ``data/fashion_mnist`` first:
``python tools/dataset/prepare_fashion_mnist.py``).

Data (written once under ``WORK/data``, the same for every seed): a folder
of PNGs and CSVs as a user has them. Fashion-MNIST's 10 classes,
long-tailed with n_max 200 and imbalance ratio 40 (200 down to 5 training
images: the smallest class has 5, as the users' data; 578 in all), the images resized to 80x60 and stored in colour (grey
repeated); a second source, group 1, is 30% of each class, degraded as the
group-lift benchmark's (lower contrast, blur, noise:
:func:`mmlt.datasets.group_lift.degrade_style`); 3% of the training labels
flipped to another class drawn uniformly (some wrong labels). Validation:
20 clean images per class held out of the unused training images; test:
100 per class of Fashion-MNIST's test set (balanced), group 1 drawn as in
training.

Rows, per seed (``randomness.seed`` and the k-fold split seed): ``full``,
the own-data starter (``configs/lt/convnext-atto_logit-adjusted_1xb32_own-csv.py``,
its 30-epoch schedule, validated every 2 epochs) trained on all the training images with
``tools/train.py`` and tested with ``tools/test.py``; ``kfold-K``,
``tools/kfold_train.py --num-splits K`` with the same config, its
``ensemble_config.py`` (the mean of the K fold models' scores) tested with
``tools/test.py``. Each run's test metrics are kept under
``benchmarks/results/own-data-kfold/`` (``--reuse`` skips a run whose
record exists; ``--render-only`` writes the section from the records alone,
as tests/test_benchmarks/test_own_data_kfold.py does to check the page). Writes section ``own-data-kfold`` of ``--out``; not run
in CI.
"""
import argparse
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np

from benchmarks.common import ROOT, git_provenance, machine_info
from benchmarks.lt_curves import change_over_last_fifth, is_flat
from benchmarks.lt_logs import (find_scalars, format_mean_std,
                                read_json_lines)
from benchmarks.noise import difference, exceeds_noise, noise_verdict
from benchmarks.page import write_report

SECTION = 'own-data-kfold'
STARTER = 'configs/lt/convnext-atto_logit-adjusted_1xb32_own-csv.py'
RECORDS = osp.join(ROOT, 'benchmarks', 'results', SECTION)
DEFAULT_WORK = osp.join(ROOT, 'work_dirs', 'own_data_kfold')
MAX_COUNT, IMBALANCE = 200, 40
VAL_PER_CLASS, TEST_PER_CLASS = 20, 100
GROUP1_FRACTION, FLIP_RATE = 0.3, 0.03
SIZE = (80, 60)  # width, height
COLUMNS = (('top-1', 'top1'), ('balanced', 'balanced_accuracy'),
           ('many', 'many_shot'), ('medium', 'medium_shot'),
           ('few', 'few_shot'), ('macro-F1', 'macro_f1'),
           ('group 0', 'group0_accuracy'), ('group 1', 'group1_accuracy'))


def write_data(out_dir: str, fashion_root: str) -> Dict[str, List[int]]:
    """Write the data set described in the module docstring (once: a folder
    that holds it is left alone); its training counts per class."""
    import cv2

    from mmlt.datasets.group_lift import (FASHION_MNIST_CLASSES,
                                          degrade_style, load_fashion_mnist)
    manifest = osp.join(out_dir, 'manifest.json')
    if osp.isfile(manifest):
        with open(manifest) as f:
            return json.load(f)
    rng = np.random.default_rng(0)
    data = load_fashion_mnist(fashion_root)
    counts = training_counts()
    os.makedirs(osp.join(out_dir, 'images'), exist_ok=True)
    names = [c.replace('/', '-') for c in FASHION_MNIST_CLASSES]
    plan = {'train': [], 'val': [], 'test': []}
    for c in range(10):
        pool = rng.permutation(np.flatnonzero(data['train_labels'] == c))
        test = rng.permutation(np.flatnonzero(data['test_labels'] == c))
        plan['train'] += [('train', i, c) for i in pool[:counts[c]]]
        plan['val'] += [('train', i, c) for i in
                        pool[counts[c]:counts[c] + VAL_PER_CLASS]]
        plan['test'] += [('test', i, c) for i in test[:TEST_PER_CLASS]]
    summary: Dict[str, List[int]] = {'train_counts': counts}
    for split, items in plan.items():
        rows = []
        for n, (source, i, c) in enumerate(items):
            img = data[f'{source}_images'][i]
            group = int(rng.random() < GROUP1_FRACTION)
            if group:
                img = degrade_style(img, rng)
            img = cv2.resize(img, SIZE, interpolation=cv2.INTER_LINEAR)
            label = c
            if split == 'train' and rng.random() < FLIP_RATE:
                label = int(rng.choice([k for k in range(10) if k != c]))
            name = f'{split}_{n:05d}.png'
            cv2.imwrite(osp.join(out_dir, 'images', name),
                        np.repeat(img[..., None], 3, axis=2))
            rows.append(f'{name},{names[label]},{group}')
        with open(osp.join(out_dir, f'{split}.csv'), 'w') as f:
            f.write('filename,label,group_id\n' + '\n'.join(rows) + '\n')
    with open(osp.join(out_dir, 'classes.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    with open(manifest, 'w') as f:
        json.dump(summary, f)
    return summary


def write_config(work: str, data_root: str, epochs: int) -> str:
    """``my_config.py`` of the walkthrough, inheriting the starter."""
    path = osp.join(work, 'my_config.py')
    loader = ('dict(dataset=dict(data_root=data_root), num_workers=0, '
              'persistent_workers=False)')
    with open(path, 'w') as f:
        f.write(f"""_base_ = [{osp.join(ROOT, STARTER)!r}]
data_root = {data_root!r}
num_classes = 10
train_dataloader = {loader}
val_dataloader = {loader}
test_dataloader = {loader}
data_preprocessor = dict(num_classes=num_classes)
model = dict(head=dict(num_classes=num_classes))
train_cfg = dict(max_epochs={epochs}, val_interval=2)
""")
    return path


def _tool(*args: str) -> None:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f'{" ".join(args)} failed:\n'
                           f'{proc.stdout[-2000:]}{proc.stderr[-4000:]}')


def _record_path(row: str, seed: int) -> str:
    return osp.join(RECORDS, f'{row}_seed{seed}.json')


def _read_record(path: str) -> Dict[str, float]:
    with open(path) as f:
        return json.load(f)


def val_curve(run_dir: str) -> Dict[str, float]:
    """``{epoch: validation balanced accuracy}`` of a training run."""
    return {str(r['step']): float(r['long_tail/balanced_accuracy'])
            for r in read_json_lines(find_scalars(run_dir))
            if 'long_tail/balanced_accuracy' in r}


def run_row(row: str, seed: int, config: str, work: str,
            reuse: bool) -> Dict[str, float]:
    """Train and test one row for one seed; its test metrics (kept)."""
    record = _record_path(row, seed)
    if reuse and osp.isfile(record):
        return _read_record(record)
    run_dir = osp.join(work, f'{row}_seed{seed}')
    seed_opt = ['--cfg-options', f'randomness.seed={seed}']
    out = osp.join(run_dir, 'test_metrics.json')
    if row == 'full':
        _tool('tools/train.py', config, '--work-dir', run_dir, *seed_opt)
        with open(osp.join(run_dir, 'last_checkpoint')) as f:
            ckpt = f.read().strip()
        _tool('tools/test.py', config, ckpt, '--work-dir', run_dir, '--out',
              out, '--out-item', 'metrics')
    else:
        folds = row.split('-')[1]
        _tool('tools/kfold_train.py', config, '--num-splits', folds,
              '--seed', str(seed), '--work-dir', run_dir, *seed_opt)
        _tool('tools/test.py', osp.join(run_dir, 'ensemble_config.py'),
              'none', '--work-dir', osp.join(run_dir, 'ensemble_test'),
              '--out', out, '--out-item', 'metrics')
    with open(out) as f:
        raw = json.load(f)
    metrics = {key: float(raw[f'long_tail/{key}']) for _, key in COLUMNS
               if f'long_tail/{key}' in raw}
    if row == 'full':
        metrics['val_curve'] = val_curve(run_dir)
    os.makedirs(RECORDS, exist_ok=True)
    with open(record, 'w') as f:
        json.dump(metrics, f, indent=1)
    return metrics


def render(results: Dict[str, List[Dict[str, float]]], counts: List[int],
           command: str, epochs: int) -> str:
    """The section's text: the table and each row's change against
    ``full`` with the noise rule."""
    header = '| row | seeds | ' + ' | '.join(c for c, _ in COLUMNS) + ' |'
    lines = [
        '### The fold ensemble against the model trained on all the data '
        '(own-data walkthrough, 80x60 colour Fashion-MNIST, IR 40)', '',
        header, '|---|---:|' + '---:|' * len(COLUMNS)]
    for row, runs in results.items():
        cells = [format_mean_std([r[k] for r in runs]) for _, k in COLUMNS]
        lines.append(f'| {row} | {len(runs)} | ' + ' | '.join(cells) + ' |')
    lines += ['', 'Accuracies and macro-F1 in percent on the balanced test '
              'set (100 images per class), mean ± sample std over seeds.',
              '']
    full = results.get('full')
    if full:
        curve = {int(e): float(np.mean([r['val_curve'][e] for r in full]))
                 for e in full[0]['val_curve']}
        change = change_over_last_fifth(curve, epochs)
        lines.append(
            '- Convergence: full\'s validation balanced accuracy (mean over '
            'seeds) ' + (f'moves {change:+.2f} over the last fifth of the '
                         f'{epochs} epochs: ' + ('flat (met).' if is_flat(
                             change) else 'not flat (not met).')
                         if change is not None else
                         'has fewer than two points in the last fifth '
                         '(not checked).'))
    for row, runs in results.items():
        if row == 'full' or not full:
            continue
        parts = []
        for col, key in (('balanced', 'balanced_accuracy'),
                         ('many', 'many_shot'), ('medium', 'medium_shot'),
                         ('few', 'few_shot')):
            delta, pooled = difference([r[key] for r in full],
                                       [r[key] for r in runs])
            parts.append(f'{col} {delta:+.2f} '
                         f'({noise_verdict(exceeds_noise(delta, pooled))})')
        lines.append(f'- {row} − full: ' + ', '.join(parts) + '.')
    lines += [
        '', f'Data: Fashion-MNIST, 10 classes, training counts {counts} '
        f'(n_max {MAX_COUNT}, IR {IMBALANCE}), 80x60, grey stored as '
        f'colour PNGs; group 1 = {GROUP1_FRACTION:.0%} of each split '
        'degraded (contrast, blur, noise); '
        f'{FLIP_RATE:.0%} of the training labels flipped; validation '
        f'{VAL_PER_CLASS} clean images per class held out of the unused '
        f'training images; test {TEST_PER_CLASS} per class of the test set.',
        f'Model and schedule: `{STARTER}` (ConvNeXt-atto from scratch, the '
        f'logit-adjusted loss, AdamW, {epochs} epochs), `num_workers=0`. '
        'full: `tools/train.py` then `tools/test.py` of the last checkpoint; '
        'kfold-K: `tools/kfold_train.py --num-splits K` (each fold model '
        'trains on (K-1)/K of every class: a class of 5 images gives a '
        'fold model 2 or 3 of them with K = 2), then `tools/test.py` of '
        'its `ensemble_config.py` (the mean of the fold models\' scores).',
        f'- Machine: {machine_info(sys.executable)}',
        f'- Code: {git_provenance()}', f'- Command: `{command}`', '']
    return '\n'.join(lines)


def read_records(rows: Sequence[str], seeds: Sequence[int]
                 ) -> Dict[str, List[Dict[str, float]]]:
    """The kept test metrics of ``rows`` × ``seeds`` (a run without a
    record is left out), row by row in seed order."""
    results: Dict[str, List[Dict[str, float]]] = {}
    for row in rows:
        for seed in seeds:
            record = _record_path(row, seed)
            if osp.isfile(record):
                results.setdefault(row, []).append(_read_record(record))
    return results


def training_counts() -> List[int]:
    """The data set's images per class (what :func:`write_data` draws)."""
    from mmlt.datasets.lt_profiles import long_tail_counts
    return [int(c) for c in long_tail_counts(10, MAX_COUNT, IMBALANCE)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--folds', type=int, nargs='+', default=[2, 3])
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--work-dir', default=DEFAULT_WORK)
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument('--reuse', action='store_true',
                        help='skip a run whose record exists')
    parser.add_argument('--rows', nargs='+',
                        help='run only these rows (full, kfold-K); the '
                        'section is written from every kept record')
    parser.add_argument('--render-only', action='store_true',
                        help='write the section from the kept records alone '
                        '(no data, no training)')
    parser.add_argument('--out', help='write the section into this file')
    args = parser.parse_args(argv)
    rows = ['full'] + [f'kfold-{k}' for k in args.folds]
    command = 'python -m benchmarks.own_data_kfold ' + ' '.join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    if not args.render_only:
        data = osp.join(args.work_dir, 'data')
        write_data(data, args.data_root)
        config = write_config(args.work_dir, data, args.epochs)
        for row in rows:
            if args.rows and row not in args.rows:
                continue
            for seed in args.seeds:
                metrics = run_row(row, seed, config, args.work_dir,
                                  args.reuse)
                print(row, seed, json.dumps(metrics), flush=True)
    # the section comes from the kept records, whichever runs made them
    body = render(read_records(rows, args.seeds), training_counts(),
                  command.strip(), args.epochs)
    print(body)
    if args.out:
        write_report(args.out, SECTION, body)
    return 0

if __name__ == '__main__':
    sys.exit(main())
