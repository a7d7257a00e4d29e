"""Statistics of a classification dataset before training on it.

What a practitioner checks first on their own data (e.g. 44 classes, the
largest with 12,341 images and the smallest with 5, two sources as
``group_id``): images per class and per group (a class x group table), the
imbalance ratio, the shot bins ``LongTailMetric`` will report (its own
thresholds and split, :func:`mmlt.structures.shot_masks`), the
classes with fewer images than the folds of a stratified k-fold (they cannot
be validated in every fold), and the image sizes and aspect ratios (from
the headers, :mod:`mmlt.analysis.image_sizes`). Output: markdown, CSV and
two PNGs (class distribution coloured by shot bin, class x group heatmap).

Labels and groups come from :mod:`mmlt.datasets.label_utils`, so any
dataset works (``GroupAnnotationDataset``, ``LongTailDataset``, MMPretrain
datasets, MMEngine's wrappers) without decoding an image. Where the dataset
comes from (a config's ``<split>_dataloader.dataset`` or an annotation
file): :mod:`mmlt.analysis.dataset_sources`. The command line:
``tools/analysis_tools/dataset_stats.py``.
"""
import csv
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from mmlt.datasets.label_utils import get_classes, get_group_ids, get_labels
from mmlt.structures import (FEW_SHOT_THR, MANY_SHOT_THR, SHOT_NAMES,
                             class_shots, shot_masks)
from .image_sizes import (ImageSize, aspect_ratio_histogram,
                          read_image_sizes, size_histogram)

__all__ = [
    'DatasetStats', 'check_num_splits', 'class_group_counts',
    'imbalance_ratio', 'shot_bins', 'classes_below_folds', 'compute_stats',
    'format_markdown', 'write_outputs'
]

PathLike = Union[str, 'os.PathLike[str]']
#: Rows of the image-size tables in the markdown (the CSV has them all).
MAX_SIZE_ROWS = 10


def check_num_splits(num_splits: Any) -> int:
    """Validate the number of k-fold splits (an int >= 2).

    Raises:
        ValueError: Naming ``num_splits`` otherwise.
    """
    if isinstance(num_splits, bool) or not isinstance(
            num_splits, (int, np.integer)) or num_splits < 2:
        raise ValueError(f'num_splits must be an int >= 2 (the folds of a '
                         f'k-fold), got {num_splits!r}.')
    return int(num_splits)


def class_group_counts(labels: Sequence[int], group_ids: Sequence[int],
                       num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """Images per class and group.

    Args:
        labels (Sequence[int]): Class index of every sample.
        group_ids (Sequence[int]): Group id of every sample.
        num_classes (int): Number of classes C.

    Returns:
        Tuple[np.ndarray, np.ndarray]: The G group ids present (ascending)
        and the ``(C, G)`` count matrix.

    Raises:
        ValueError: If the lengths differ, a label is outside ``[0, C)`` or
            a group id is negative.
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    groups = np.asarray(group_ids, dtype=np.int64).reshape(-1)
    if labels.size != groups.size:
        raise ValueError(f'{labels.size} labels but {groups.size} group ids.')
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        raise ValueError(f'label {bad[0]} is outside the {num_classes} '
                         f'classes 0..{num_classes - 1}.')
    if (groups < 0).any():
        raise ValueError(f'group id {groups[groups < 0][0]} is negative.')
    ids, column = np.unique(groups, return_inverse=True)
    matrix = np.zeros((num_classes, ids.size), dtype=np.int64)
    np.add.at(matrix, (labels, column), 1)
    return ids, matrix


def imbalance_ratio(counts: Sequence[int]) -> float:
    """Largest over smallest class count; ``inf`` with an empty class.

    Raises:
        ValueError: If ``counts`` is empty or all zero.
    """
    counts = np.asarray(counts)
    if counts.size == 0 or counts.max() <= 0:
        raise ValueError(f'counts must hold at least one image, got '
                         f'{counts.tolist()}.')
    return float('inf') if counts.min() == 0 else float(counts.max() /
                                                        counts.min())


def shot_bins(counts: Sequence[int],
              many_shot_thr: float = MANY_SHOT_THR,
              few_shot_thr: float = FEW_SHOT_THR) -> List[str]:
    """Shot bin of each class, as ``LongTailMetric`` splits its classes
    (:func:`mmlt.structures.shot_masks`,
    :func:`mmlt.structures.class_shots`)."""
    return class_shots(shot_masks(counts, many_shot_thr, few_shot_thr))


def classes_below_folds(counts: Sequence[int], num_splits: int) -> np.ndarray:
    """Classes with images, but fewer than ``num_splits``: a stratified
    k-fold cannot put one in every validation fold (mmlt's
    ``StratifiedKFoldDataset`` keeps them in the training part of every
    fold; ``LongTailMetric`` reports them as not validated).

    Raises:
        ValueError: If ``num_splits`` is not an int >= 2.
    """
    num_splits = check_num_splits(num_splits)
    counts = np.asarray(counts)
    return np.flatnonzero((counts > 0) & (counts < num_splits))


@dataclass(frozen=True)
class DatasetStats:
    """Counts and image sizes of one dataset (see :func:`compute_stats`).

    Attributes:
        source (str): What was analysed, for titles.
        class_names (Tuple[str, ...]): The C class names, label order.
        group_ids (Tuple[int, ...]): The G groups present, ascending.
        counts (np.ndarray): Images of class c in group ``group_ids[g]`` at
            ``[c, g]``, shape ``(C, G)``.
        num_splits (int): Folds of the k-fold the classes are checked for.
        many_shot_thr (float): The metric's many-shot threshold.
        few_shot_thr (float): The metric's few-shot threshold.
        image_sizes (Tuple, optional): One size per sample (None where
            unreadable); None when sizes were not read.
        size_problems (Tuple[str, ...]): Why sizes could not be read.
    """

    source: str
    class_names: Tuple[str, ...]
    group_ids: Tuple[int, ...]
    counts: np.ndarray
    num_splits: int = 3
    many_shot_thr: float = MANY_SHOT_THR
    few_shot_thr: float = FEW_SHOT_THR
    image_sizes: Optional[Tuple[Optional[ImageSize], ...]] = None
    size_problems: Tuple[str, ...] = field(default=())

    @property
    def class_counts(self) -> np.ndarray:
        """Images per class, shape ``(C,)``."""
        return self.counts.sum(axis=1)

    @property
    def group_counts(self) -> np.ndarray:
        """Images per group present, shape ``(G,)``."""
        return self.counts.sum(axis=0)

    @property
    def num_images(self) -> int:
        """All images."""
        return int(self.counts.sum())

    @property
    def imbalance_ratio(self) -> float:
        """See :func:`imbalance_ratio`."""
        return imbalance_ratio(self.class_counts)

    @property
    def shots(self) -> List[str]:
        """Each class's shot bin (:func:`shot_bins`)."""
        return shot_bins(self.class_counts, self.many_shot_thr,
                         self.few_shot_thr)

    @property
    def empty_classes(self) -> np.ndarray:
        """Indices of the classes without images."""
        return np.flatnonzero(self.class_counts == 0)

    @property
    def below_folds(self) -> np.ndarray:
        """Indices of :func:`classes_below_folds`."""
        return classes_below_folds(self.class_counts, self.num_splits)


def compute_stats(dataset: Any,
                  source: str,
                  num_splits: int = 3,
                  many_shot_thr: float = MANY_SHOT_THR,
                  few_shot_thr: float = FEW_SHOT_THR,
                  read_sizes: bool = True) -> DatasetStats:
    """Count a dataset's images per class and group, and read their sizes.

    Args:
        dataset: Any dataset :func:`mmlt.datasets.get_labels` reads.
        source (str): What it is, for titles.
        num_splits (int): Folds of the k-fold to check the classes against.
        many_shot_thr (float): The metric's many-shot threshold.
        few_shot_thr (float): The metric's few-shot threshold.
        read_sizes (bool): Read every image's size from its header (or
            array shape).

    Returns:
        DatasetStats: The statistics.

    Raises:
        ValueError: If ``num_splits`` is not an int >= 2, the thresholds are
            not ordered, a label is outside the classes or the dataset is
            empty.
    """
    num_splits = check_num_splits(num_splits)
    shot_masks([0], many_shot_thr, few_shot_thr)  # validates the thresholds
    labels = get_labels(dataset)
    if labels.size == 0:
        raise ValueError(f'{source}: the dataset has no samples.')
    names = get_classes(dataset)
    if names is None:
        names = [str(c) for c in range(int(labels.max()) + 1)]
    ids, counts = class_group_counts(labels, get_group_ids(dataset),
                                     len(names))
    sizes, problems = (read_image_sizes(dataset) if read_sizes else
                       (None, []))
    return DatasetStats(source, tuple(str(n) for n in names),
                        tuple(int(g) for g in ids), counts, num_splits,
                        many_shot_thr, few_shot_thr,
                        None if sizes is None else tuple(sizes),
                        tuple(problems))


def _cell(text: str) -> str:
    """``text`` for a markdown table cell."""
    return str(text).replace('|', '\\|')


def _names(stats: DatasetStats, indices: Sequence[int]) -> str:
    return ', '.join(f'`{stats.class_names[i]}` '
                     f'({int(stats.class_counts[i])})' for i in indices)


def _size_lines(stats: DatasetStats) -> List[str]:
    """The markdown section on image sizes."""
    sizes = stats.image_sizes
    if sizes is None:
        return ['## Image sizes', '', 'Not read (`--no-image-sizes`).']
    known = [s for s in sizes if s is not None]
    lines = ['## Image sizes', '',
             f'Read for {len(known):,} of {len(sizes):,} images (image '
             'headers, or array shapes of in-memory data).']
    if stats.size_problems:
        lines.append(f'Not read: {len(stats.size_problems):,}; the first: '
                     f'{stats.size_problems[0]}')
    if not known:
        return lines
    widths = np.array([s.width for s in known])
    heights = np.array([s.height for s in known])
    lines += ['', '| | min | median | max |', '|---|---|---|---|']
    for name, values in (('width', widths), ('height', heights)):
        lines.append(f'| {name} | {values.min()} | {np.median(values):g} | '
                     f'{values.max()} |')
    histogram = size_histogram(known)
    lines += ['', '| width x height | images | share |', '|---|---|---|']
    for size, count in histogram[:MAX_SIZE_ROWS]:
        lines.append(f'| {size.width} x {size.height} | {count:,} | '
                     f'{100 * count / len(known):.1f}% |')
    if len(histogram) > MAX_SIZE_ROWS:
        rest = sum(c for _, c in histogram[MAX_SIZE_ROWS:])
        lines.append(f'| {len(histogram) - MAX_SIZE_ROWS} other sizes | '
                     f'{rest:,} | {100 * rest / len(known):.1f}% |')
    lines += ['', '| aspect ratio (width / height) | images |', '|---|---|']
    lines += [f'| {ratio:.2f} | {count:,} |'
              for ratio, count in aspect_ratio_histogram(known)]
    return lines


def format_markdown(stats: DatasetStats) -> str:
    """The statistics as a markdown report."""
    counts = stats.class_counts
    largest, smallest = int(np.argmax(counts)), int(np.argmin(counts))
    bins = dict(zip(SHOT_NAMES, (sum(s == n for s in stats.shots)
                                 for n in SHOT_NAMES)))
    lines = [
        f'# Dataset statistics: {stats.source}', '', '| | |', '|---|---|',
        f'| images | {stats.num_images:,} |',
        f'| classes | {len(counts)} |',
        f'| groups | {len(stats.group_ids)} (ids '
        f'{", ".join(map(str, stats.group_ids))}) |',
        f'| largest class | `{_cell(stats.class_names[largest])}`: '
        f'{int(counts[largest]):,} |',
        f'| smallest class | `{_cell(stats.class_names[smallest])}`: '
        f'{int(counts[smallest]):,} |',
        f'| imbalance ratio (largest / smallest) | '
        f'{stats.imbalance_ratio:.1f} |',
        f'| shot bins by these counts (LongTailMetric: many > '
        f'{stats.many_shot_thr:g}, few < {stats.few_shot_thr:g} training '
        f'images) | many {bins["many"]}, medium {bins["medium"]}, few '
        f'{bins["few"]} |', ''
    ]
    if stats.empty_classes.size:
        lines += [f'**Classes without images** '
                  f'({stats.empty_classes.size}): '
                  + _names(stats, stats.empty_classes), '']
    below = stats.below_folds
    lines.append(
        f'**Classes with fewer images than the {stats.num_splits} folds** '
        f'({below.size}): ' + (_names(stats, below) + ' — a stratified '
                               f'{stats.num_splits}-fold split cannot put '
                               'one in every validation fold; mmlt\'s '
                               'StratifiedKFoldDataset keeps them in the '
                               'training part of every fold, and '
                               'LongTailMetric reports them as not '
                               'validated.' if below.size else 'none.'))
    total = max(stats.num_images, 1)
    lines += ['', '## Images per group', '', '| group | images | share | '
              'classes with images |', '|---|---|---|---|']
    for g, group in enumerate(stats.group_ids):
        column = stats.counts[:, g]
        lines.append(f'| {group} | {int(column.sum()):,} | '
                     f'{100 * column.sum() / total:.1f}% | '
                     f'{int((column > 0).sum())} |')
    groups = ' | '.join(f'group {g}' for g in stats.group_ids)
    lines += ['', '## Images per class and group', '',
              f'| idx | class | shot | images | {groups} |',
              '|---|---|---|---|' + '---|' * len(stats.group_ids)]
    for c, name in enumerate(stats.class_names):
        cells = ' | '.join(f'{int(n):,}' for n in stats.counts[c])
        lines.append(f'| {c} | {_cell(name)} | {stats.shots[c]} | '
                     f'{int(counts[c]):,} | {cells} |')
    return '\n'.join(lines + [''] + _size_lines(stats)) + '\n'


def _write_csv(path: str, header: Sequence[str],
               rows: Sequence[Sequence[Any]]) -> str:
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_outputs(stats: DatasetStats, out_dir: PathLike) -> List[str]:
    """Write ``dataset_stats.md``, ``class_counts.csv``,
    ``image_sizes.csv`` (when sizes were read), ``class_distribution.png``
    (log scale, bars coloured by shot bin) and ``class_group_counts.png``
    (heatmap) into ``out_dir``; return the paths."""
    from mmlt.visualization.plots import (plot_class_distribution,
                                          plot_class_group_heatmap)
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    written = [osp.join(out_dir, 'dataset_stats.md')]
    with open(written[0], 'w', encoding='utf-8') as f:
        f.write(format_markdown(stats))
    below = set(stats.below_folds.tolist())
    written.append(_write_csv(
        osp.join(out_dir, 'class_counts.csv'),
        ['class_index', 'class_name', 'images', 'shot',
         f'fewer_than_{stats.num_splits}_folds'] +
        [f'group{g}' for g in stats.group_ids],
        [[c, name, int(stats.class_counts[c]), stats.shots[c], int(
            c in below)] + [int(n) for n in stats.counts[c]]
         for c, name in enumerate(stats.class_names)]))
    if stats.image_sizes is not None:
        known = [s for s in stats.image_sizes if s is not None]
        written.append(_write_csv(
            osp.join(out_dir, 'image_sizes.csv'),
            ['width', 'height', 'aspect_ratio', 'images'],
            [[s.width, s.height, round(s.width / s.height, 4), n]
             for s, n in size_histogram(known)]))
    written.append(plot_class_distribution(
        stats.class_counts, stats.class_names,
        osp.join(out_dir, 'class_distribution.png'),
        title=f'{stats.source}\nImages per class',
        shot_thresholds=(stats.many_shot_thr, stats.few_shot_thr),
        ylabel='images'))
    written.append(plot_class_group_heatmap(
        stats.counts, stats.class_names,
        osp.join(out_dir, 'class_group_counts.png'), stats.group_ids,
        title=f'{stats.source}\nImages per class and group'))
    return written

