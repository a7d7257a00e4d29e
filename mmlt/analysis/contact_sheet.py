"""A contact sheet of suspected label issues: the top-N images in a grid,
each captioned with its rank, given and suggested labels and the model's
probability of the given label.

Images come from a loader function: :func:`file_image_loader` reads the
row's ``filename`` (relative names under a root folder),
:func:`dataset_image_loader` takes the dataset's own image by the row's
``index`` (an in-memory ``img`` array such as DigitsLT's, else its
``img_path``). A cell whose image cannot be read says so, and
:func:`save_contact_sheet` returns how many there were.
"""
import math
import os
import os.path as osp
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'ImageLoader', 'file_image_loader', 'dataset_image_loader',
    'save_contact_sheet'
]

ImageLoader = Callable[[Dict[str, Any]], Optional[np.ndarray]]


def _read_rgb(path: str) -> Optional[np.ndarray]:
    import mmcv
    if not osp.isfile(path):
        return None
    try:
        return mmcv.imread(path, channel_order='rgb')
    except Exception:  # undecodable: the cell says "not readable"
        return None


def file_image_loader(root: Optional[str] = None) -> ImageLoader:
    """Read ``row['filename']`` (under ``root`` when relative) as RGB."""
    def load(row: Dict[str, Any]) -> Optional[np.ndarray]:
        name = str(row.get('filename') or '')
        if not name:
            return None
        path = name if osp.isabs(name) or not root else osp.join(root, name)
        return _read_rgb(path)

    return load


def dataset_image_loader(dataset: Any) -> ImageLoader:
    """The image of sample ``row['index']`` of ``dataset``: its in-memory
    ``img`` array as stored (shown as RGB), else its ``img_path`` file.

    When the row names a file and the dataset's sample at that index is
    another file (the dataset changed since the predictions were made,
    e.g. rows excluded with ``label_issues``), the row's own file is read.
    """
    def load(row: Dict[str, Any]) -> Optional[np.ndarray]:
        try:
            info = dataset.get_data_info(int(row['index']))
        except (AttributeError, IndexError, KeyError):
            info = {}
        name = str(row.get('filename') or '')
        path = info.get('img_path')
        if name and path and path != name and not path.endswith(
                os.sep + name):
            return _read_rgb(name)
        img = info.get('img')
        if isinstance(img, np.ndarray):
            return img
        path = path or name
        return _read_rgb(str(path)) if path else None

    return load


def _grid(n: int, cols: int) -> Tuple[int, int]:
    cols = max(1, min(cols, n))
    return int(math.ceil(n / cols)), cols


def save_contact_sheet(rows: Sequence[Dict[str, Any]],
                       load_image: ImageLoader,
                       path: str,
                       top: int = 25,
                       cols: int = 5,
                       score: Optional[str] = None,
                       title: str = 'Suspected label issues') -> int:
    """Draw the first ``top`` rows into a PNG at ``path``.

    Args:
        rows: Issue rows (:data:`mmlt.analysis.label_issues.ISSUE_COLUMNS`).
        load_image: Gives a row's image (``H x W`` or ``H x W x 3``) or
            None.
        path: The PNG to write.
        top: Number of rows drawn.
        cols: Images per line.
        score: A column shown in the caption (e.g. ``robust_z``).
        title: Figure title.

    Returns:
        The number of drawn rows whose image could not be read.

    Raises:
        ValueError: If ``top`` or ``cols`` is not a positive integer.
    """
    for name, value in (('top', top), ('cols', cols)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name}={value!r} must be a positive integer')
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt
    shown = list(rows[:top])
    nrows, ncols = _grid(max(len(shown), 1), cols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.4 * ncols,
                                                    2.9 * nrows),
                             squeeze=False)
    unreadable = 0
    for ax in axes.ravel():
        ax.axis('off')
    if not shown:
        axes[0, 0].text(0.5, 0.5, 'no label issue found', ha='center',
                        va='center', fontsize=10)
    for ax, row in zip(axes.ravel(), shown):
        img = load_image(row)
        if img is None:
            unreadable += 1
            ax.text(0.5, 0.5, 'image not\nreadable', ha='center',
                    va='center', fontsize=8, color='grey')
        else:
            img = np.asarray(img)
            ax.imshow(img, cmap='gray' if img.ndim == 2 else None,
                      interpolation='nearest')
        caption = (f'#{row["rank"]} idx {row["index"]}\n'
                   f'given: {row["given_class"]}\n'
                   f'suggested: {row["suggested_class"]}\n'
                   f'p(given)={row["self_confidence"]:.3f}')
        if score:
            caption += f'\n{score}={row[score]:.3g}'
        ax.set_title(caption, fontsize=7, loc='left')
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return unreadable
