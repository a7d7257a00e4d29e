"""The per-class change plot of the advisor (mmlt.visualization.
change_plots)."""
import numpy as np
import pytest

from mmlt.visualization.plots import (change_vs_count_figure,
                                      plot_change_vs_count)


def test_points_by_shot_bin_and_a_zero_line(tmp_path):
    counts = [500, 150, 60, 30, 10, 5]
    change = [-4.0, 0.0, 2.5, np.nan, 10.0, 20.0]
    fig = change_vs_count_figure(counts, change, list('abcdef'))
    ax = fig.axes[0]
    # many (2), medium (2: one NaN not drawn), few (2)
    sizes = [len(c.get_offsets()) for c in ax.collections]
    assert sizes == [2, 1, 2]
    assert any(list(line.get_ydata()) == [0, 0] for line in ax.lines)
    assert sorted(t.get_text() for t in ax.texts) == list('abcef')
    path = plot_change_vs_count(counts, change, tmp_path / 'c.png',
                                list('abcdef'))
    assert open(path, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'


@pytest.mark.parametrize('counts, change, message', [
    ([1, 2], [1.0], 'train_counts has 2 entries but per_class_change has 1'),
    ([-1, 2], [1.0, 2.0], 'non-negative'),
])
def test_bad_input_is_named(counts, change, message):
    with pytest.raises(ValueError, match=message):
        change_vs_count_figure(counts, change)
