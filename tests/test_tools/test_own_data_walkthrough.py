"""README's "Your own data" walkthrough, command by command, on a folder of
real digit scans (scikit-learn's, upscaled to 32x32 PNGs) with a CSV and two
groups: statistics -> 2-process training -> test -> advisor -> k-fold ->
label issues -> fold ensemble -> TTA -> compare runs. Tiny epochs; what each
tool writes is checked against a hand count or the previous step."""
import csv
import os
import os.path as osp
import socket
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven',
         'eight', 'nine']
TRAIN = [40, 30, 22, 16, 12, 9, 7, 6, 5, 4]  # long-tailed, smallest 4
EVAL_PER_CLASS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _run(*args, bash=False):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable,
               PORT=str(_free_port()))
    cmd = ['bash', *args] if bash else [sys.executable, *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, (' '.join(args) + '\n' +
                                  proc.stdout[-3000:] + proc.stderr[-5000:])
    return proc.stdout


def _make_data(root):
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = np.round(digits.images * (255. / 16.)).astype(np.uint8)
    ink = images.reshape(len(images), -1).sum(1)
    (root / 'images').mkdir(parents=True)
    used = {c: iter(np.flatnonzero(digits.target == c)) for c in range(10)}
    rows = {}
    for split, counts in (('train', TRAIN),
                          ('val', [EVAL_PER_CLASS] * 10),
                          ('test', [EVAL_PER_CLASS] * 10)):
        rows[split] = []
        for c, n in enumerate(counts):
            for _ in range(n):
                i = next(used[c])
                big = cv2.resize(images[i], (32, 32),
                                 interpolation=cv2.INTER_NEAREST)
                name = f'{split}_{i}.png'
                cv2.imwrite(str(root / 'images' / name), big)
                # group 1: the heavier half of the strokes (a second source)
                group = int(ink[i] > np.median(ink[digits.target == c]))
                rows[split].append((name, NAMES[c], group))
        with open(root / f'{split}.csv', 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['filename', 'label', 'group_id'])
            writer.writerows(rows[split])
    (root / 'classes.txt').write_text('\n'.join(NAMES) + '\n')
    return rows


@pytest.fixture(scope='module')
def walkthrough(tmp_path_factory):
    base = tmp_path_factory.mktemp('walk')
    rows = _make_data(base / 'data')
    config = base / 'my_config.py'
    config.write_text(f"""\
_base_ = [{osp.join(ROOT, 'configs', 'lt',
                    'convnext-atto_logit-adjusted_1xb32_own-csv.py')!r}]
data_root = {str(base / 'data')!r}
num_classes = 10
train_dataloader = dict(dataset=dict(data_root=data_root), num_workers=0,
                        persistent_workers=False)
val_dataloader = dict(dataset=dict(data_root=data_root), num_workers=0,
                      persistent_workers=False)
test_dataloader = dict(dataset=dict(data_root=data_root), num_workers=0,
                       persistent_workers=False)
data_preprocessor = dict(num_classes=num_classes)
model = dict(head=dict(num_classes=num_classes))
train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs', algorithm_keys=['group_id']),
]
test_pipeline = train_pipeline
train_cfg = dict(max_epochs=2, val_interval=1)
""")
    return base, str(config), rows


def test_statistics_equal_a_hand_count(walkthrough):
    base, config, rows = walkthrough
    out = base / 'stats'
    _run('tools/analysis_tools/dataset_stats.py', config, '--num-splits', '3',
         '--out-dir', str(out))
    with open(out / 'class_counts.csv', newline='') as f:
        by_name = {r['class_name']: r for r in csv.DictReader(f)}
    for c, name in enumerate(NAMES):
        hand = [r for r in rows['train'] if r[1] == name]
        assert int(by_name[name]['images']) == len(hand) == TRAIN[c]
        for g in (0, 1):
            assert int(by_name[name][f'group{g}']) == sum(
                r[2] == g for r in hand)
    assert by_name['nine']['fewer_than_3_folds'] == '0'  # 4 images


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='the 2-process step checks the CPU (gloo) path')
def test_whole_walkthrough(walkthrough):
    base, config, rows = walkthrough
    train_dir, kfold_dir = base / 'train', base / 'kfold'
    # train with 2 processes, then test
    _run('tools/dist_train.sh', config, '2', '--work-dir', str(train_dir),
         bash=True)
    checkpoint = str(train_dir / 'epoch_2.pth')
    report = _run('tools/test.py', config, checkpoint, '--work-dir',
                  str(train_dir))
    assert 'balanced' in report.lower()
    # the advisor on the validation split; its ready config (if it
    # recommends a fix) tests like any config
    advice_dir = base / 'advice'
    advice = _run('tools/analysis_tools/advise.py', config, checkpoint,
                  '--lift-group', '1', '--out-dir', str(advice_dir))
    assert 'per-group bias (group 1)' in advice and 'recommendation' in advice
    assert (advice_dir / 'advice.md').is_file()
    if (advice_dir / 'advised_config.py').is_file():
        _run('tools/test.py', str(advice_dir / 'advised_config.py'),
             checkpoint, '--work-dir', str(base / 'advised'))
    # unlabelled deployment images: their class mix estimated by EM
    shifted = _run('tools/analysis_tools/advise.py', config, checkpoint,
                   '--estimate-prior', str(base / 'data' / 'images'),
                   '--out-dir', str(base / 'advice_prior'))
    assert 'prior shift (estimated by EM from ' \
        f'{sum(len(r) for r in rows.values())} unlabelled images' in shifted
    # k-fold: 'auto' picks min(3, smallest class 4) = 3 folds
    _run('tools/kfold_train.py', config, '--num-splits', 'auto',
         '--work-dir', str(kfold_dir))
    oof = np.load(kfold_dir / 'oof_predictions.npz', allow_pickle=False)
    assert len(oof['probs']) == len(rows['train'])
    assert sorted(set(oof['fold'].tolist())) == [0, 1, 2]
    assert [NAMES[i] for i in oof['gt_label']] == [r[1] for r in
                                                   rows['train']]
    # label issues from the out-of-fold probabilities, then a training set
    # without the 3 worst (the dataset says how many it excluded)
    issues = base / 'issues'
    _run('tools/analysis_tools/find_label_issues.py', 'oof',
         str(kfold_dir / 'oof_predictions.npz'), '--config', config,
         '--out-dir', str(issues))
    with open(issues / 'label_issues.csv', newline='') as f:
        ranked = list(csv.DictReader(f))
    assert ranked and (issues / 'label_issues.png').is_file()
    clean = base / 'my_config_clean.py'
    clean.write_text(f"""_base_ = [{config!r}]
train_dataloader = dict(dataset=dict(label_issues=dict(
    file={str(issues / 'label_issues.csv')!r}, action='exclude', top=3)))
""")
    stats = _run('tools/analysis_tools/dataset_stats.py', str(clean),
                 '--no-image-sizes', '--out-dir', str(base / 'stats_clean'))
    with open(base / 'stats_clean' / 'class_counts.csv', newline='') as f:
        total = sum(int(r['images']) for r in csv.DictReader(f))
    assert total == len(rows['train']) - min(3, len(ranked))
    # the fold ensemble and TTA, tested like any model
    _run('tools/test.py', str(kfold_dir / 'ensemble_config.py'), 'none',
         '--work-dir', str(base / 'ensemble'))
    _run('tools/test.py', config, checkpoint, '--tta', '--work-dir',
         str(base / 'tta'))
    # one table of the runs
    table = _run('tools/analysis_tools/compare_runs.py', str(train_dir),
                 str(base / 'ensemble'), str(base / 'tta'), '--out-dir',
                 str(base / 'compare'))
    assert table.count('\n| ') >= 3
    assert (base / 'compare' / 'runs.csv').is_file()
