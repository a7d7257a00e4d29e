"""tools/analysis_tools/find_label_issues.py end to end: the checkpoint mode
on a model trained on a folder of PNGs whose CSV has two flipped labels
finds exactly those two and writes CSV + contact sheet that the dataset
then uses; the out-of-fold mode on a file following the k-fold contract;
without cleanlab the tool says how to install it."""
import csv
import os.path as osp
import runpy
import subprocess
import sys

import cv2
import numpy as np
import pytest
from matplotlib.image import imread
from mmengine.config import Config
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.analysis.contact_sheet import dataset_image_loader
from mmlt.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'find_label_issues.py')
# the focal own-CSV config: on 3 epochs of 36 images the starter's
# logit-adjusted loss leaves its (unadjusted) test-mode argmax leaning to
# the rarest class, which is what the suggested label is read from
CONFIG = osp.join(ROOT, 'configs', 'baselines',
                  'convnext-atto_focal_1xb32_own-csv.py')
CLASSES = ['red', 'green', 'blue']
COUNTS = [24, 8, 4]
FLIPS = {'train_red_3.png': 'green', 'train_green_6.png': 'red'}

pytestmark = pytest.mark.usefixtures('one_thread')


def _write_images(root, rng):
    """Images of class c are bright in channel c (RGB); returns the rows
    (filename, true class, group)."""
    rows = []
    for c, cls in enumerate(CLASSES):
        for i in range(COUNTS[c]):
            img = rng.randint(0, 60, (60, 80, 3)).astype(np.uint8)
            img[..., 2 - c] += 150  # BGR on disk
            name = f'train_{cls}_{i}.png'
            cv2.imwrite(str(root / 'images' / name), img)
            rows.append((name, cls, i % 2))
    return rows


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """3 epochs of the own-CSV config on 36 images, two labels flipped."""
    root = tmp_path_factory.mktemp('noisy')
    (root / 'images').mkdir()
    (root / 'classes.txt').write_text('\n'.join(CLASSES) + '\n')
    rows = _write_images(root, np.random.RandomState(0))
    with open(root / 'train.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filename', 'label', 'group_id'])
        writer.writerows((n, FLIPS.get(n, c), g) for n, c, g in rows)
    cfg = Config.fromfile(CONFIG)
    for split in ('train', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = str(root)
        loader.dataset.ann_file = 'train.csv'
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.train_cfg = dict(by_epoch=True, max_epochs=3)
    cfg.param_scheduler = []
    cfg.work_dir = str(root / 'work')
    cfg.default_hooks.long_tail_context.plot = False
    Runner.from_cfg(cfg).train()
    config = str(root / 'noisy_config.py')
    cfg.dump(config)
    return root, config, str(root / 'work' / 'epoch_3.pth'), rows


def test_checkpoint_mode_finds_the_flips_and_the_dataset_drops_them(
        trained, tmp_path):
    root, config, checkpoint, rows = trained
    out = tmp_path / 'issues'
    proc = subprocess.run(
        [sys.executable, TOOL, 'checkpoint', config, checkpoint, '--split',
         'train', '--out-dir', str(out), '--top', '4'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '36 images of the train split' in proc.stdout
    # blue has 4 images, fewer than --min-count 5: said, not scored
    assert "not scored: classes with fewer than 5 images {'blue': 4}" in \
        proc.stdout
    with open(out / 'label_issues.csv') as f:
        issues = list(csv.DictReader(f))
    assert {osp.basename(r['filename']) for r in issues} == set(FLIPS)
    for r in issues:
        name = osp.basename(r['filename'])
        assert r['given_class'] == FLIPS[name]
        assert int(r['index']) == [n for n, _, _ in rows].index(name)
        assert r['suggested_class'] == dict((n, c) for n, c, _ in rows)[name]
        assert float(r['robust_z']) > 3.5
        assert float(r['loss']) == pytest.approx(
            -np.log(float(r['self_confidence'])), rel=1e-4)
    assert '| 1 |' in proc.stdout and 'robust_z' in proc.stdout
    sheet = imread(out / 'label_issues.png')
    assert sheet.ndim == 3 and sheet.shape[0] > 100
    assert (out / 'label_issues.md').read_text().count('.png |') == 2

    def build(action):
        cfg = Config.fromfile(config)
        dataset = dict(cfg.train_dataloader.dataset,
                       label_issues=dict(file=str(out / 'label_issues.csv'),
                                         action=action))
        return DATASETS.build(dataset)

    kept = build('exclude')
    assert len(kept) == 34
    assert not {osp.basename(kept.get_data_info(i)['img_path'])
                for i in range(34)} & set(FLIPS)
    assert list(build('relabel').class_counts) == COUNTS  # labels repaired


def _oof_file(path, image_dir, n=60, seed=0):
    """Out-of-fold probabilities by the k-fold contract: sure of the true
    class, 4 flips, the first 3 rows never validated (fold -1, NaN)."""
    rng = np.random.default_rng(seed)
    true = np.arange(n) % 3
    probs = np.full((n, 3), 0.02)
    probs[np.arange(n), true] = 0.96
    probs += rng.uniform(0, 0.005, (n, 3))
    probs /= probs.sum(1, keepdims=True)
    given = true.copy()
    flips = np.array([10, 24, 38, 55])  # one into each class, one more
    given[flips] = (true[flips] + 1) % 3
    fold = np.arange(n) % 4
    fold[:3] = -1
    probs[:3] = np.nan
    names = []
    for i in range(n):
        names.append(f'img_{i}.png')
        cv2.imwrite(str(image_dir / names[-1]),
                    np.full((8, 8, 3), 40 * true[i], np.uint8))
    np.savez(path, probs=probs.astype(np.float32), gt_label=given,
             group_id=np.zeros(n, np.int64), fold=fold.astype(np.int64),
             index=np.arange(n, dtype=np.int64), filename=np.array(names),
             classes=np.array(CLASSES))
    return flips


def test_oof_mode_writes_csv_and_contact_sheet(tmp_path, capsys):
    (tmp_path / 'images').mkdir()
    flips = _oof_file(tmp_path / 'oof_predictions.npz', tmp_path / 'images')
    main = runpy.run_path(TOOL)['main']
    result = main(['oof', str(tmp_path / 'oof_predictions.npz'),
                   '--image-root', str(tmp_path / 'images'), '--top', '3'])
    printed = capsys.readouterr().out
    assert 'left out: 3 images no fold validated' in printed
    out = tmp_path / 'label_issues'
    with open(out / 'label_issues.csv') as f:
        issues = list(csv.DictReader(f))
    assert sorted(int(r['index']) for r in issues) == flips.tolist()
    conf = [float(r['self_confidence']) for r in issues]
    assert conf == sorted(conf) and [r['rank'] for r in issues] == [
        '1', '2', '3', '4']
    assert result['unvalidated_classes'] == {'red': 1, 'green': 1,
                                             'blue': 1}
    assert imread(out / 'label_issues.png').shape[0] > 100
    assert '"unreadable_images": 0' in (out / 'summary.json').read_text()


def test_oof_mode_without_cleanlab_says_how_to_install(tmp_path,
                                                       monkeypatch):
    (tmp_path / 'images').mkdir()
    _oof_file(tmp_path / 'oof.npz', tmp_path / 'images')
    for name in [m for m in sys.modules if m.startswith('cleanlab')]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, 'cleanlab', None)
    main = runpy.run_path(TOOL)['main']
    with pytest.raises(SystemExit, match=r"pip install 'mmlt\[noise\]'"):
        main(['oof', str(tmp_path / 'oof.npz')])
    assert not (tmp_path / 'label_issues').exists()


def test_contact_sheet_images_of_an_in_memory_dataset():
    digits = DATASETS.build(dict(type='DigitsLT', split='train',
                                 test_per_class=40, pipeline=[]))
    img = dataset_image_loader(digits)(dict(index=3, filename=''))
    np.testing.assert_array_equal(img, digits.get_data_info(3)['img'])


def test_train_split_is_scored_in_order_with_the_test_pipeline():
    from mmlt.analysis.label_issue_scoring import split_dataloader_cfg
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset = dict(type='KFoldDataset', fold=0,
                                        dataset=cfg.train_dataloader.dataset)
    loader = split_dataloader_cfg(cfg, 'train', batch_size=7)
    test_pipeline = cfg.test_dataloader.dataset.pipeline
    assert loader.dataset.dataset.pipeline == test_pipeline
    assert loader.sampler == dict(type='DefaultSampler', shuffle=False,
                                  round_up=False)
    assert loader.batch_size == 7
    own = split_dataloader_cfg(cfg, 'train', test_pipeline=False)
    assert own.dataset.dataset.pipeline != test_pipeline
    assert any(t['type'] == 'RandomFlip' for t in own.dataset.dataset.pipeline)
    with pytest.raises(ValueError, match="split='dev' is not one of"):
        split_dataloader_cfg(cfg, 'dev')
    cfg.val_dataloader = None
    with pytest.raises(ValueError, match='the config has no val_dataloader'):
        split_dataloader_cfg(cfg, 'val')


def test_contact_sheet_reads_the_rows_file_when_the_dataset_changed(
        tmp_path):
    for name, value in (('a.png', 10), ('b.png', 200)):
        cv2.imwrite(str(tmp_path / name), np.full((4, 4, 3), value,
                                                  np.uint8))

    class Shifted:  # row 0 was excluded since: index 0 is now b.png
        def get_data_info(self, idx):
            return dict(img_path=str(tmp_path / 'b.png'))

    load = dataset_image_loader(Shifted())
    assert load(dict(index=0, filename=str(tmp_path / 'a.png')))[0, 0, 0] \
        == 10
    assert load(dict(index=0, filename='b.png'))[0, 0, 0] == 200
    assert load(dict(index=0, filename=''))[0, 0, 0] == 200
