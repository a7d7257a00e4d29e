"""Linear probes of the group-lift models' features: why a head that learns
the group can lower the rare group's accuracy.

Usage, from the repository root, after the group-lift sections of
``benchmarks/lt_benchmark.py`` have run (the probes need the runs'
checkpoints, so the work dir, not only the records)::

    python -m benchmarks.group_probe [--rows ce-rare multitask-rare] \
        [--work-dir work_dirs/benchmarks]

For every kept run of each row it computes the feature the class head
reads (backbone + neck, 64 channels for ResNet-20) of the held-out
validation split and of the test split, with the run's dumped config and
final checkpoint. The group-lift data holds every validation and test image
twice, as group 0 (as is) and as group 1 (styled), under the same file name
(``g0/00042.png``, ``g1/00042.png``), so the two copies of one image can be
compared directly. Three figures per run, probes fit on the validation
split (2,000 features) and scored on the test split (scikit-learn's
``LogisticRegression`` on standardised features):

- *group probe*: accuracy of a linear classifier of the group: how much of
  the group the feature keeps;
- *copy cosine*: mean cosine similarity between the features of the two
  copies of each test image: whether the model maps an image and its
  group-1 version to the same place;
- *class probe*: a linear classifier of the class fit on group-0 features
  only, scored on the test's group-0 and group-1 copies: how far class
  boundaries learned on group 0 carry over to group 1 (the gap).

The result is the ``group-probe`` section of docs/benchmarks.md.
"""
import argparse
import copy
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from benchmarks.common import ROOT, git_provenance
from benchmarks.lt_archive import DEFAULT_WORK_DIR, dumped_config
from benchmarks.lt_logs import final_checkpoint, mean_std
from benchmarks.lt_protocol import GROUP_LIFT_CASES
from benchmarks.lt_results import read_results
from benchmarks.noise import difference, exceeds_noise, noise_verdict
from benchmarks.page import DEFAULT_OUT, write_report

DEFAULT_ROWS = ('ce-rare', 'multitask-rare', 'ce-degraded',
                'multitask-degraded')
# (key, label, decimals shown)
FIGURES = (
    ('group_probe', 'group probe', 2),
    ('copy_cosine', 'copy cosine', 3),
    ('class_probe_g0', 'class probe, group 0', 2),
    ('class_probe_g1', 'class probe, group 1', 2),
    ('class_probe_gap', 'gap (group 0 − group 1)', 2),
)


# ------------------------------------------------------------- features
def extract(cfg, checkpoint: str, split: str) -> dict:
    """The class head's input feature of every sample of ``cfg``'s
    ``split`` dataloader (the model built from ``cfg`` with
    ``checkpoint``, eval mode, CPU), with labels, group ids and image file
    names.

    Returns:
        ``{'feats': N x D, 'labels': N, 'groups': N, 'names': [str]}``.
    """
    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from mmlt.deploy.exportable import build_classifier
    from mmlt.structures import read_group_ids
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = build_classifier(cfg, checkpoint)
    loader_cfg = copy.deepcopy(cfg.get(f'{split}_dataloader'))
    loader_cfg.update(num_workers=0, persistent_workers=False)
    feats, labels, groups, names = [], [], [], []
    with torch.no_grad():
        for batch in Runner.build_dataloader(loader_cfg):
            data = model.data_preprocessor(batch, False)
            feats.append(model.extract_feat(data['inputs'])[-1].float())
            samples = data['data_samples']
            labels += [int(s.gt_label.reshape(-1)[0]) for s in samples]
            groups += read_group_ids(samples, 'the group probe')
            names += [osp.basename(s.img_path) for s in samples]
    return dict(feats=torch.cat(feats).numpy(), labels=np.array(labels),
                groups=np.array(groups), names=names)


# ------------------------------------------------------------- probes
def _probe(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return make_pipeline(StandardScaler(),
                         LogisticRegression(max_iter=2000)).fit(x, y)


def copy_pairs(names: Sequence[str],
               groups: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Indices ``(i0, i1)`` of the group-0 and group-1 copy of every image
    that has both, matched by file name.

    Raises:
        ValueError: If no image has both copies, or a file name repeats
            within a group.
    """
    where: Dict[int, Dict[str, int]] = {0: {}, 1: {}}
    for i, (name, group) in enumerate(zip(names, groups)):
        if int(group) not in where:
            raise ValueError(f'sample {i} ({name}): group_id {group}, the '
                             'probes compare groups 0 and 1 only')
        if name in where[int(group)]:
            raise ValueError(f'file name {name!r} twice in group {group}')
        where[int(group)][name] = i
    common = sorted(set(where[0]) & set(where[1]))
    if not common:
        raise ValueError('no image has both a group-0 and a group-1 copy')
    return (np.array([where[0][n] for n in common]),
            np.array([where[1][n] for n in common]))


def probe_scores(val: dict, test: dict) -> Dict[str, float]:
    """The three figures of one run (percent, cosine in [-1, 1]), probes
    fit on ``val`` and scored on ``test`` (dicts as :func:`extract`
    returns)."""
    group = _probe(val['feats'], val['groups'])
    out = {'group_probe': 100 * group.score(test['feats'], test['groups'])}
    i0, i1 = copy_pairs(test['names'], test['groups'])
    a, b = test['feats'][i0], test['feats'][i1]
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) *
                            np.linalg.norm(b, axis=1) + 1e-12)
    out['copy_cosine'] = float(cos.mean())
    g0 = val['groups'] == 0
    cls = _probe(val['feats'][g0], val['labels'][g0])
    for g in (0, 1):
        sel = test['groups'] == g
        out[f'class_probe_g{g}'] = 100 * cls.score(test['feats'][sel],
                                                   test['labels'][sel])
    out['class_probe_gap'] = out['class_probe_g0'] - out['class_probe_g1']
    return out


# ------------------------------------------------------------- the runs
def run_scores(run_dir: str) -> Dict[str, float]:
    """:func:`probe_scores` of the kept run in ``run_dir`` (its dumped
    config and final checkpoint)."""
    cfg = dumped_config(run_dir)
    ckpt = final_checkpoint(run_dir, cfg.train_cfg.max_epochs)
    return probe_scores(extract(cfg, ckpt, 'val'),
                        extract(cfg, ckpt, 'test'))


def row_runs(results: Dict[str, Dict[int, dict]], run_root: str,
             row: str) -> List[str]:
    """The folders of ``row``'s finished runs (``results`` as
    :func:`benchmarks.lt_results.read_results` reads ``run_root``) that
    still hold their checkpoint, in seed order.

    Raises:
        FileNotFoundError: If there is none, naming the row's folder.
    """
    runs = [r['run_dir'] for _, r in sorted(results.get(row, {}).items())
            if osp.isfile(osp.join(r['run_dir'], 'last_checkpoint'))]
    if not runs:
        raise FileNotFoundError(
            f'{osp.join(run_root, row)}: no finished run with a checkpoint '
            '(the probes need '
            'the checkpoints; records under benchmarks/results do not keep '
            'them): run the group-lift section of lt_benchmark first')
    return runs


def render(scores: Dict[str, List[Dict[str, float]]]) -> str:
    """The section body: per row, each figure's mean ± sample std
    (seeds), then each multitask row against the case's cross-entropy row
    with the page's noise verdict."""
    lines = [
        '## Why the group multi-task head lowers the rare group: linear '
        'probes of the features',
        '',
        '| row | ' + ' | '.join(label for _, label, _ in FIGURES) + ' |',
        '|---|' + '---:|' * len(FIGURES),
    ]
    for row, runs in scores.items():
        cells = []
        for key, _, digits in FIGURES:
            m, sd, n = mean_std([r[key] for r in runs])
            cells.append(f'{m:.{digits}f} ± {sd:.{digits}f} ({n})')
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    for case in GROUP_LIFT_CASES:
        base, row = f'ce-{case}', f'multitask-{case}'
        if base not in scores or row not in scores:
            continue
        lines += ['', f'{row} − {base}:']
        for key, label, digits in FIGURES:
            delta, pooled = difference([r[key] for r in scores[base]],
                                       [r[key] for r in scores[row]])
            lines.append(f'- {label}: {delta:+.{digits}f} (pooled std '
                         f'{pooled:.{digits}f}): '
                         f'{noise_verdict(exceeds_noise(delta, pooled))}.')
    lines += [
        '',
        'Feature: what the class head reads (ResNet-20 + global average '
        'pooling, 64 channels), final checkpoint of each seed. Probes: '
        'scikit-learn LogisticRegression on standardised features, fit on '
        'the held-out validation split (1,000 images, each as group 0 and '
        'as group 1) and scored on the test split (10,000 images, each '
        'twice). Group probe: accuracy of predicting the group (50% = the '
        'feature does not tell the copies apart). Copy cosine: mean cosine '
        'similarity between the features of the two copies of each test '
        'image. Class probe: fit on group-0 features only, scored on each '
        'group: the gap is how much of what separates the classes on group '
        '0 does not carry over to group 1.',
        f'- Code: {git_provenance()}',
        '- Command: `python -m benchmarks.group_probe`',
    ]
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Linear probes of the group-lift models\' features '
        '(section group-probe of docs/benchmarks.md)')
    parser.add_argument('--rows', nargs='+', default=list(DEFAULT_ROWS))
    parser.add_argument('--work-dir', default=DEFAULT_WORK_DIR)
    parser.add_argument('--out', default=DEFAULT_OUT)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    run_root = osp.join(args.work_dir, 'converged')
    results = read_results(run_root)
    scores = {}
    for row in args.rows:
        scores[row] = []
        for run_dir in row_runs(results, run_root, row):
            scores[row].append(run_scores(run_dir))
            print(f'{row} {osp.basename(run_dir)}: {scores[row][-1]}',
                  flush=True)
    write_report(args.out, 'group-probe', render(scores))
    print('written: section group-probe')
    return 0


if __name__ == '__main__':
    sys.exit(main())
