"""The dataset-statistics plots: the class distribution coloured by shot bin
and the class x group heatmap."""
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from mmlt.visualization.plots import (SHOT_COLORS, class_distribution_figure,
                                      class_group_heatmap_figure,
                                      plot_class_group_heatmap)

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def test_bars_coloured_by_shot_bin():
    counts = [5, 12341, 100, 101, 20, 19]
    fig = class_distribution_figure(counts, None, shot_thresholds=(100, 20),
                                    ylabel='images')
    ax = fig.axes[0]
    assert len(ax.containers) == 1
    bars = ax.containers[0].patches
    # sorted by count: 12341, 101 (many), 100, 20 (medium), 19, 5 (few)
    assert [b.get_height() for b in bars] == [12341, 101, 100, 20, 19, 5]
    expected = ['many'] * 2 + ['medium'] * 2 + ['few'] * 2
    assert [b.get_facecolor() for b in bars] == [
        to_rgba(SHOT_COLORS[n]) for n in expected
    ]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ['many-shot (> 100): 2', 'medium-shot (20-100): 2',
                      'few-shot (< 20): 2']
    assert ax.get_yscale() == 'log' and ax.get_ylabel() == 'images'
    assert sorted(line.get_ydata()[0] for line in ax.lines) == [20, 100]
    # without thresholds: one colour, as before
    plain = class_distribution_figure(counts, None).axes[0]
    assert {b.get_facecolor() for b in plain.containers[0].patches} == {
        to_rgba('tab:blue')
    }


def test_shot_colours_refuse_group_stacks_and_bad_thresholds():
    with pytest.raises(ValueError, match='pass one of them'):
        class_distribution_figure([3, 1], None, group_counts=[[2, 1], [1, 0]],
                                  shot_thresholds=(100, 20))
    with pytest.raises(ValueError, match=r'\(100,\)'):
        class_distribution_figure([3, 1], None, shot_thresholds=(100, ))
    with pytest.raises(ValueError, match='few_shot_thr'):
        class_distribution_figure([3, 1], None, shot_thresholds=(20, 100))


def test_class_group_heatmap(tmp_path):
    matrix = [[12341, 0], [5, 3], [100, 50]]
    fig = class_group_heatmap_figure(matrix, ['a', 'b c', 'd'], [0, 2])
    ax = fig.axes[0]
    data = ax.images[0].get_array()
    np.testing.assert_array_equal(data.data, matrix)
    assert data.mask.tolist() == [[False, True], [False, False],
                                  [False, False]]  # empty cell: grey
    assert [t.get_text() for t in ax.texts] == [
        '12341', '0', '5', '3', '100', '50'
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        'group 0', 'group 2'
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == ['a', 'b c', 'd']
    out = plot_class_group_heatmap(matrix, None, tmp_path / 'h' / 'm.png')
    with open(out, 'rb') as f:
        assert f.read(8) == PNG_MAGIC


def test_class_group_heatmap_bad_input():
    with pytest.raises(ValueError, match=r'shape \(3,\)'):
        class_group_heatmap_figure([1, 2, 3], None)
    with pytest.raises(ValueError, match='non-negative'):
        class_group_heatmap_figure([[1, -2]], None)
    with pytest.raises(ValueError, match='2 entries but there are 1'):
        class_group_heatmap_figure([[1, 2]], ['a', 'b'])
    with pytest.raises(ValueError, match=r'group_ids.*\[0, 0\]'):
        class_group_heatmap_figure([[1, 2]], None, [0, 0])
