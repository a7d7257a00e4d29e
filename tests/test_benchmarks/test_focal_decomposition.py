import csv
import json

import pytest

from benchmarks import focal_decomposition as fd

CLASSES = (('big', 500), ('mid', 50), ('tail', 10), ('tiny', 5))


def _run(tmp_path, row, seed, few, tail_recall):
    d = tmp_path / row / f'seed{seed}'
    (d / 'stamp' / 'vis_data').mkdir(parents=True)
    lines = [dict(loss=1.0, epoch=1, iter=1, step=1)]
    lines += [{'long_tail/balanced_accuracy': e + few / 10, 'step': e}
              for e in (10, 20, 30, 60)]
    (d / 'stamp' / 'vis_data' / 'scalars.json').write_text(
        '\n'.join(json.dumps(x) for x in lines))
    with open(d / 'per_class.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, ['class_index', 'class_name', 'shot',
                               'train_count', 'recall'])
        w.writeheader()
        for i, (name, count) in enumerate(CLASSES):
            w.writerow(dict(class_index=i, class_name=name,
                            shot='few' if count < 20 else 'many',
                            train_count=count,
                            recall=tail_recall if count <= 10 else 90.0))
    metrics = {'long_tail/balanced_accuracy': 70.0 + few / 10,
               'long_tail/many_shot': 90.0 + seed / 10,
               'long_tail/medium_shot': 70.0 + seed / 10,
               'long_tail/few_shot': few + seed}
    return dict(run_dir=str(d), epochs=60, metrics=metrics)


def _results(tmp_path, rows):
    return {row: {s: _run(tmp_path, row, s, few, tail)
                  for s in (0, 1, 2)}
            for row, (few, tail) in rows.items()}


def test_section_takes_the_focal_loss_apart(tmp_path):
    results = _results(tmp_path, {
        'ce': (70.0, 80.0), 'softmax-focal': (70.0, 80.0),
        'sigmoid-ce': (69.0, 78.0),
        'focal-gamma0': (68.0, 75.0), 'focal': (30.0, 2.0)})
    body = fd.render(results)
    # per-bin table against ce, few-shot 30 vs 70 beyond the noise
    assert '| focal | 73.00 ± 0.00 (3) | -4.00 (beyond noise)' in body
    assert '31.00 ± 1.00 (3) | -40.00 (beyond noise) |' in body
    # the smallest classes, fewest first, with their training counts
    assert '| row | tiny (5) | tail (10) | mid (50) |' in body
    assert '| focal | 2.0 ± 0.0 | 2.0 ± 0.0 | 90.0 ± 0.0 |' in body
    # each change with the other held fixed
    assert ('- sigmoid with alpha 0.25 instead of softmax (gamma 2) (focal − '
            'softmax-focal):'
            ' few-shot -40.00 (beyond noise)') in body
    assert ('- focusing, gamma 2 (softmax) (softmax-focal − ce): few-shot '
            '+0.00 (within noise)') in body
    assert ('- alpha 0.25 (sigmoid, gamma 0) (focal-gamma0 − sigmoid-ce): '
            'few-shot -1.00 (within noise)') in body
    # balanced accuracy has no spread over seeds here: every change but
    # softmax-focal's (none) is beyond the noise
    assert ('Changes that move balanced accuracy beyond the noise: sigmoid '
            'instead of softmax (gamma 0, no alpha) (-0.10); alpha 0.25 '
            '(sigmoid, gamma 0) (-0.10); focusing, gamma 2 (sigmoid, alpha '
            '0.25) (-3.80); sigmoid with alpha 0.25 instead of softmax (gamma '
            '2) (-4.00).') in body
    assert 'Balanced accuracy on the held-out validation split' in body
    assert '| focal | 13.00 | 23.00 | 33.00 | 63.00 |' in body


def test_section_refuses_rows_short_of_seeds(tmp_path):
    results = _results(tmp_path, {'ce': (70.0, 80.0), 'focal': (30.0, 2.0)})
    del results['focal'][2]
    with pytest.raises(FileNotFoundError,
                       match=r'softmax-focal \(0\), sigmoid-ce \(0\), '
                       r'focal-gamma0 \(0\), focal \(2\)'):
        fd.render(results)
