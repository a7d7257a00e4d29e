"""What every plot of :mod:`mmlt.visualization` shares: the figure on an Agg
canvas (never ``matplotlib.pyplot``), the PNG writer, the checks of class
names and count matrices, the shot-bin colours, and the widening of axes for
point labels. Kept apart from the plots so each plot module stays one
subject (training counts, evaluation results)."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation

PathLike = Union[str, 'os.PathLike[str]']
#: A class x group count matrix (rows: classes, columns: groups).
CountMatrix = Union[np.ndarray, Sequence[Sequence[float]]]

#: Above this many classes, per-class tick labels are left out.
MAX_TICK_LABELS = 50
#: Above this many classes, confusion-matrix cells are not annotated.
MAX_CELL_TEXT = 20
#: Colour of each shot bin (bars of the class distribution, points of the
#: accuracy-vs-count plot).
SHOT_COLORS = {'many': 'tab:blue', 'medium': 'tab:orange', 'few': 'tab:red'}


def _as_1d(values: Sequence[float], name: str) -> np.ndarray:
    """Convert ``values`` to a 1-D float array or raise ValueError."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f'{name} must be a non-empty 1-D sequence, got '
                         f'shape {array.shape}.')
    return array


def _names(class_names: Optional[Sequence[str]], num_classes: int,
           name: str = 'class_names') -> List[str]:
    """Return class names, or indices as strings when none are given."""
    if class_names is None:
        return [str(i) for i in range(num_classes)]
    names = [str(n) for n in class_names]
    if len(names) != num_classes:
        raise ValueError(f'{name} has {len(names)} entries but there are '
                         f'{num_classes} classes.')
    return names


def _new_figure(size: Tuple[float, float]) -> Figure:
    """Create a figure attached to an Agg canvas (no pyplot)."""
    fig = Figure(figsize=size, layout='constrained')
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, out_file: PathLike, dpi: int = 100) -> str:
    """Write ``fig`` as PNG to ``out_file``, creating its folder."""
    out_file = os.fspath(out_file)
    parent = osp.dirname(osp.abspath(out_file))
    os.makedirs(parent, exist_ok=True)
    fig.savefig(out_file, format='png', dpi=dpi)
    return out_file


def _check_group_counts(group_counts: CountMatrix, counts: np.ndarray,
                        group_ids: Optional[Sequence[int]]
                        ) -> Tuple[np.ndarray, List[int]]:
    """Validate a class x group count matrix against the class totals."""
    matrix = np.asarray(group_counts, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != counts.size or \
            matrix.shape[1] == 0:
        raise ValueError(f'group_counts must have shape (classes, groups) = '
                         f'({counts.size}, G) with G >= 1, got shape '
                         f'{matrix.shape}.')
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise ValueError('group_counts must be finite and non-negative, got '
                         f'minimum {np.nanmin(matrix)}.')
    mismatch = np.flatnonzero(matrix.sum(axis=1) != counts)
    if mismatch.size:
        c = int(mismatch[0])
        raise ValueError(f'group_counts of class {c} sum to '
                         f'{matrix[c].sum():g} but counts[{c}] is '
                         f'{counts[c]:g}; each row must add up to the '
                         "class's count.")
    ids = list(range(matrix.shape[1])) if group_ids is None else [
        int(g) for g in group_ids
    ]
    if len(ids) != matrix.shape[1] or len(set(ids)) != len(ids):
        raise ValueError(f'group_ids must name the {matrix.shape[1]} '
                         f'columns of group_counts once each, got '
                         f'{list(group_ids)}.')
    return matrix, ids


def _widen_for_labels(fig: Figure, ax: Axes,
                      labels: Sequence[Annotation]) -> None:
    """Raise the right x-limit and the top y-limit until every point label
    lies inside the axes.

    A label sits up and to the right of its point, so without this the
    label of the class with the most training images runs over the axes'
    right frame line (and one near 100% accuracy over the top line, into
    the title): constrained layout only shrinks the axes to make room, and
    the point moves with the axes, so the label still sticks out. For a
    label whose point sits at axes fraction ``f`` and which reaches ``d``
    pixels beyond the point on an axes ``W`` pixels wide, the span (in the
    axis' scale, e.g. log) must grow by ``f / (1 - d / W)``; labels longer
    than half the axes are left alone. Extents are measured after the
    layout has run, and widening only frees layout space, so the saved
    figure keeps them.
    """
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    grow = np.ones(2)
    for label in labels:
        extent = label.get_window_extent(renderer)
        x, y = ax.transData.transform(label.xy)
        for k, (frac, reach, size) in enumerate((
            ((x - box.x0) / box.width, extent.x1 - x, box.width),
            ((y - box.y0) / box.height, extent.y1 - y, box.height),
        )):
            if reach < size / 2:
                grow[k] = max(grow[k], frac / (1 - reach / size))
    for axis, grow_by, get, put in ((ax.xaxis, grow[0], ax.get_xlim,
                                     ax.set_xlim),
                                    (ax.yaxis, grow[1], ax.get_ylim,
                                     ax.set_ylim)):
        if grow_by > 1:
            scale = axis.get_transform()
            low, high = scale.transform(np.asarray(get(), dtype=float))
            new_high = low + grow_by * (high - low)
            put(get()[0], float(scale.inverted().transform([new_high])[0]))
