import sys

import numpy as np
import pytest

from mmlt.visualization import (plot_accuracy_vs_count,
                                plot_class_distribution,
                                plot_confusion_matrix)

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def _is_png(path):
    with open(path, 'rb') as f:
        return f.read(8) == PNG_MAGIC


@pytest.mark.parametrize('log_scale', [True, False])
def test_class_distribution(tmp_path, log_scale):
    out = tmp_path / 'new' / 'dir' / 'dist.png'
    path = plot_class_distribution([5, 500, 50, 0], ['a', 'b', 'c', 'd'],
                                   out, log_scale=log_scale)
    assert path == str(out) and _is_png(out)


def test_class_distribution_many_classes_no_names(tmp_path):
    counts = np.round(1000 * 0.95**np.arange(120)).astype(int)
    out = plot_class_distribution(counts, None, str(tmp_path / 'd.png'))
    assert _is_png(out)


def test_accuracy_vs_count(tmp_path):
    counts = [0, 5, 19, 20, 100, 101, 1000]
    acc = [0.0, 10.0, np.nan, 50.0, 70.0, 80.0, 95.0]
    out = plot_accuracy_vs_count(counts, acc, [f'c{i}' for i in range(7)],
                                 tmp_path / 'acc.png')
    assert _is_png(out)
    out = plot_accuracy_vs_count([10, 200], [1.0, 2.0], None,
                                 tmp_path / 'acc2.png', many_shot_thr=50,
                                 few_shot_thr=0)
    assert _is_png(out)


@pytest.mark.parametrize('normalize', [True, False])
def test_confusion_matrix(tmp_path, normalize):
    confusion = np.array([[5, 1, 0], [2, 3, 0], [0, 0, 0]])
    out = plot_confusion_matrix(confusion, ['x', 'y', 'z'],
                                tmp_path / 'cm.png', normalize=normalize)
    assert _is_png(out)


def test_invalid_inputs(tmp_path):
    with pytest.raises(ValueError, match='3 entries.*2 classes'):
        plot_class_distribution([1, 2], ['a', 'b', 'c'], tmp_path / 'x.png')
    with pytest.raises(ValueError, match='-1'):
        plot_class_distribution([1, -1], None, tmp_path / 'x.png')
    with pytest.raises(ValueError, match='3 entries.*2'):
        plot_accuracy_vs_count([1, 2, 3], [1.0, 2.0], None,
                               tmp_path / 'x.png')
    with pytest.raises(ValueError, match='few_shot_thr'):
        plot_accuracy_vs_count([1], [1.0], None, tmp_path / 'x.png',
                               many_shot_thr=5, few_shot_thr=5)
    with pytest.raises(ValueError, match=r'\(2, 3\)'):
        plot_confusion_matrix(np.zeros((2, 3)), None, tmp_path / 'x.png')
    assert not any(tmp_path.iterdir())


def test_no_pyplot_state(tmp_path):
    plot_confusion_matrix(np.eye(2), None, tmp_path / 'cm.png')
    if 'matplotlib.pyplot' in sys.modules:
        assert sys.modules['matplotlib.pyplot'].get_fignums() == []
