"""Where the dataset of :mod:`mmlt.analysis.dataset_stats` comes from: a
config's ``<split>_dataloader.dataset`` (built as the Runner builds it,
with the config's shot thresholds) or an annotation file read by
``GroupAnnotationDataset``."""
import os
import os.path as osp
from typing import Any, Optional, Sequence, Tuple, Union

from mmlt.evaluation.functional import FEW_SHOT_THR, MANY_SHOT_THR

__all__ = [
    'SPLITS', 'is_config', 'metric_thresholds', 'dataset_from_config',
    'dataset_from_annotation', 'load_dataset'
]

PathLike = Union[str, 'os.PathLike[str]']
SPLITS = ('train', 'val', 'test')
ANNOTATION_EXTENSIONS = ('.csv', '.json', '.txt')
CONFIG_EXTENSIONS = ('.py', '.yml', '.yaml')


def _set_data_root(dataset_cfg: Any, data_root: str) -> int:
    """Set ``data_root`` wherever the dataset config (and the configs it
    wraps) has one; return how many were set."""
    found = 0
    if isinstance(dataset_cfg, dict):
        if 'data_root' in dataset_cfg:
            dataset_cfg['data_root'] = data_root
            found += 1
        for key in ('dataset', 'datasets'):
            inner = dataset_cfg.get(key)
            for item in inner if isinstance(inner, list) else [inner]:
                found += _set_data_root(item, data_root)
    return found


def metric_thresholds(cfg: Any, split: str = 'train') -> Tuple[float, float]:
    """The shot thresholds a config's ``LongTailMetric`` bins with: those
    of ``<split>_evaluator`` (``val_evaluator`` for the training split),
    else the metric's defaults."""
    evaluator = cfg.get(('val' if split == 'train' else split) +
                        '_evaluator')
    for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
        if isinstance(metric, dict) and str(metric.get('type', '')).split(
                '.')[-1] == 'LongTailMetric':
            return (metric.get('many_shot_thr', MANY_SHOT_THR),
                    metric.get('few_shot_thr', FEW_SHOT_THR))
    return MANY_SHOT_THR, FEW_SHOT_THR


def _check_file(path: PathLike, extensions: Sequence[str]) -> str:
    """``path`` as str if it is an existing file with one of
    ``extensions``."""
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path!r} does not exist or is not a file.')
    if not path.lower().endswith(tuple(extensions)):
        raise ValueError(f'{path!r} has extension '
                         f'{osp.splitext(path)[1]!r}; expected one of '
                         f'{", ".join(extensions)}.')
    return path


def is_config(path: PathLike) -> bool:
    """Whether ``path`` names a config (else an annotation file).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If its extension is neither a config's nor an
            annotation file's.
    """
    path = _check_file(path, CONFIG_EXTENSIONS + ANNOTATION_EXTENSIONS)
    return path.lower().endswith(CONFIG_EXTENSIONS)


def dataset_from_config(config: PathLike,
                        split: str = 'train',
                        data_root: Optional[str] = None
                        ) -> Tuple[Any, Tuple[float, float]]:
    """Build ``<split>_dataloader.dataset`` of a config.

    Args:
        config (str | os.PathLike): An mmlt/MMPretrain config file.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        data_root (str, optional): Replaces every ``data_root`` of the
            dataset config (a wrapper's inner datasets included).

    Returns:
        Tuple[Any, Tuple[float, float]]: The dataset and the shot
        thresholds of the config's metric (:func:`metric_thresholds`).

    Raises:
        FileNotFoundError: If ``config`` does not exist.
        ValueError: If the extension is not a config's, ``split`` is
            unknown, the config has no such dataloader, or ``data_root`` is
            given but no dataset config has a ``data_root``.
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmlt.datasets  # noqa: F401  (registers datasets, transforms)
    from mmlt.registry import DATASETS
    config = _check_file(config, CONFIG_EXTENSIONS)
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}.')
    cfg = Config.fromfile(config)
    loader = cfg.get(f'{split}_dataloader')
    if not isinstance(loader, dict) or loader.get('dataset') is None:
        raise ValueError(f'{config!r} has no {split}_dataloader.dataset.')
    dataset_cfg = loader['dataset']
    if data_root is not None and not _set_data_root(dataset_cfg, data_root):
        raise ValueError(f'data_root={data_root!r} given, but the '
                         f'{split}_dataloader.dataset of {config!r} has no '
                         'data_root to replace.')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return DATASETS.build(dataset_cfg), metric_thresholds(cfg, split)


def dataset_from_annotation(ann_file: PathLike,
                            classes: Optional[str] = None,
                            data_root: Optional[str] = None) -> Any:
    """Read an annotation file with ``GroupAnnotationDataset``.

    Args:
        ann_file (str | os.PathLike): A ``.csv``, ``.json`` or ``.txt``
            annotation file.
        classes (str, optional): A file with one class name per line;
            needed when the labels are class indices.
        data_root (str, optional): The folder the file names are relative
            to; the annotation file's folder when None.

    Returns:
        GroupAnnotationDataset: The dataset (images are not checked; their
        sizes are read later, and unreadable ones reported).

    Raises:
        FileNotFoundError: If ``ann_file``, ``classes`` or ``data_root``
            does not exist.
        ValueError: If the extension is not an annotation file's, or the
            file is malformed (``GroupAnnotationDataset``'s errors).
    """
    from mmlt.datasets.group_annotation_dataset import GroupAnnotationDataset
    ann_file = osp.abspath(_check_file(ann_file, ANNOTATION_EXTENSIONS))
    if classes is not None and not osp.isfile(classes):
        raise FileNotFoundError(f'classes file {classes!r} does not exist.')
    root = osp.dirname(ann_file) if data_root is None else data_root
    if not osp.isdir(root):
        raise FileNotFoundError(f'data_root {root!r} is not a folder.')
    return GroupAnnotationDataset(
        ann_file=ann_file, classes=classes, data_prefix=osp.abspath(root),
        check_images=False, pipeline=[])


def load_dataset(path: PathLike,
                 split: Optional[str] = None,
                 classes: Optional[str] = None,
                 data_root: Optional[str] = None
                 ) -> Tuple[Any, str, Tuple[float, float]]:
    """The dataset a config or an annotation file names.

    Args:
        path (str | os.PathLike): A config (its ``<split>_dataloader``'s
            dataset, :func:`dataset_from_config`) or an annotation file
            (:func:`dataset_from_annotation`).
        split (str, optional): ``'train'`` (the default), ``'val'`` or
            ``'test'``; a config only.
        classes (str, optional): Class names file; an annotation file only
            (a config's dataset names its classes).
        data_root (str, optional): See the two functions.

    Returns:
        Tuple[Any, str, Tuple[float, float]]: The dataset, a name for it
        and the shot thresholds (the config's metric's, else the metric's
        defaults).

    Raises:
        FileNotFoundError: If a file does not exist.
        ValueError: If the extension is unknown, or ``split`` comes with an
            annotation file or ``classes`` with a config.
    """
    name = osp.basename(os.fspath(path))
    if is_config(path):
        if classes is not None:
            raise ValueError(f'classes={classes!r} is for an annotation '
                             f'file; the dataset of config {name!r} names '
                             'its classes itself.')
        split = 'train' if split is None else split
        dataset, thresholds = dataset_from_config(path, split, data_root)
        return dataset, f'{name} ({split})', thresholds
    if split is not None:
        raise ValueError(f'split={split!r} is for a config; the annotation '
                         f'file {name!r} is one split already.')
    return (dataset_from_annotation(path, classes, data_root), name,
            (MANY_SHOT_THR, FEW_SHOT_THR))
