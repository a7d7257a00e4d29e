import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from mmlt.visualization import (class_distribution_figure,
                                plot_accuracy_vs_count,
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


def _bars(ax):
    """(heights, bottoms) of each bar container, in drawing order."""
    return [([p.get_height() for p in c.patches],
             [p.get_y() for p in c.patches]) for c in ax.containers]


def test_class_distribution_stacked_by_group(tmp_path):
    counts = [5, 500, 50, 0]
    by_group = [[5, 0], [400, 100], [20, 30], [0, 0]]
    fig = class_distribution_figure(counts, ['a', 'b', 'c', 'd'],
                                    group_counts=by_group)
    ax = fig.axes[0]
    # classes sorted by count: b, c, a, d; group 1 stacked on group 0
    assert _bars(ax) == [([400, 20, 5, 0], [0, 0, 0, 0]),
                         ([100, 30, 0, 0], [400, 20, 5, 0])]
    tops = [p.get_y() + p.get_height() for p in ax.containers[-1].patches]
    assert tops == [500, 50, 5, 0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        'group 0', 'group 1'
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == ['b', 'c', 'a',
                                                          'd']
    assert ax.get_yscale() == 'log'

    fig = class_distribution_figure(counts, None, group_counts=by_group,
                                    group_ids=[2, 7], log_scale=False)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        'group 2', 'group 7'
    ]
    assert fig.axes[0].get_yscale() == 'linear'
    out = plot_class_distribution(counts, None, tmp_path / 'd.png',
                                  group_counts=np.array(by_group))
    assert _is_png(out)


def test_class_distribution_without_groups_is_one_bar_per_class():
    ax = class_distribution_figure([5, 500, 50], None).axes[0]
    assert _bars(ax) == [([500, 50, 5], [0, 0, 0])]
    assert ax.get_legend() is None


def test_class_distribution_bad_group_counts(tmp_path):
    out = tmp_path / 'x.png'
    with pytest.raises(ValueError, match=r'shape \(classes, groups\) = '
                       r'\(2, G\).*\(3, 2\)'):
        plot_class_distribution([1, 2], None, out,
                                group_counts=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r'class 1 sum to 3 but '
                       r'counts\[1\] is 2'):
        plot_class_distribution([1, 2], None, out,
                                group_counts=[[1, 0], [1, 2]])
    with pytest.raises(ValueError, match='non-negative.*-1'):
        plot_class_distribution([1, 2], None, out,
                                group_counts=[[2, -1], [1, 1]])
    with pytest.raises(ValueError, match=r'2 columns.*\[0, 0\]'):
        plot_class_distribution([1, 2], None, out,
                                group_counts=[[1, 0], [1, 1]],
                                group_ids=[0, 0])
    with pytest.raises(ValueError, match='needs group_counts'):
        plot_class_distribution([1, 2], None, out, group_ids=[0, 1])
    assert not any(tmp_path.iterdir())


@pytest.fixture
def saved_figures(monkeypatch):
    """Figures as they were when written (after their layout ran)."""
    saved = []
    savefig = Figure.savefig

    def record(fig, *args, **kwargs):
        savefig(fig, *args, **kwargs)
        saved.append(fig)

    monkeypatch.setattr(Figure, 'savefig', record)
    return saved


@pytest.mark.parametrize('counts,acc,names', [
    # Fashion-MNIST-LT-like: the most frequent class has the longest name
    (np.round(6000 * 0.01**(np.arange(10) / 9)),
     [97, 96, 80, 85, 75, 90, 50, 80, 60, 70],
     ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
      'Shirt', 'Sneaker', 'Bag', 'Ankle boot']),
    # digits-LT-like: several classes at 100%, one with no training image
    ([138, 106, 82, 64, 49, 38, 29, 23, 18, 0],
     [100, 100, 97.5, 100, 95, 100, 92.5, 100, 85, 100],
     [f'digit {i}' for i in range(10)]),
])
def test_accuracy_vs_count_labels_stay_inside(tmp_path, saved_figures,
                                              counts, acc, names):
    plot_accuracy_vs_count(counts, acc, names, tmp_path / 'acc.png')
    fig, = saved_figures
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    box = ax.get_window_extent(renderer)
    assert [t.get_text() for t in ax.texts] == names
    for label in ax.texts:  # no label runs over the axes' frame
        extent = label.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, label
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1, label
    # every drawn artist lies inside the figure, so nothing is cut off
    tight = fig.get_tightbbox(renderer)
    assert tight.x0 >= 0 and tight.y0 >= 0
    assert tight.x1 <= fig.get_figwidth() and \
        tight.y1 <= fig.get_figheight()
    ymin, ymax = ax.get_ylim()
    assert ymin == -2 and ymax >= 100
