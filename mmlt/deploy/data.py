"""Images as an exported model sees them: loaded, not yet transformed.

A config's dataset is built with only the loading prefix of its test
pipeline (:func:`~mmlt.deploy.preprocess.split_loading`), so each item is
the loaded BGR image plus its label (and group id); the rest of the test
pipeline runs either as mmlt's transforms (the PyTorch reference) or as the
JSON steps (the exported model).
"""
import copy
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

__all__ = ['LoadedImage', 'build_loaded_dataset', 'iter_loaded',
           'reference_inputs']

# (image H x W x C uint8 BGR, label, group id or None)
LoadedImage = Tuple[np.ndarray, int, Optional[int]]


def _with_pipeline(cfg: Dict[str, Any], loading: List[dict]) -> None:
    """Set ``loading`` as the pipeline of the image dataset(s) of ``cfg``,
    through wrappers (``dataset=...``, ``datasets=[...]``)."""
    if 'dataset' in cfg and 'pipeline' not in cfg:
        _with_pipeline(cfg['dataset'], loading)
    elif 'datasets' in cfg and 'pipeline' not in cfg:
        for inner in cfg['datasets']:
            _with_pipeline(inner, loading)
    else:
        cfg['pipeline'] = [dict(s) for s in loading]


def build_loaded_dataset(dataset_cfg: Dict[str, Any],
                         loading: Sequence[dict]):
    """Build ``dataset_cfg`` with ``loading`` as its whole pipeline (the
    image dataset's, through dataset wrappers such as LongTailDataset)."""
    import mmlt.datasets  # noqa: F401 - registers mmlt's datasets
    from mmpretrain.registry import DATASETS
    cfg = copy.deepcopy(
        dataset_cfg.to_dict() if hasattr(dataset_cfg, 'to_dict') else
        dict(dataset_cfg))
    _with_pipeline(cfg, list(loading))
    return DATASETS.build(cfg)


def _loaded(item: Dict[str, Any], index: int) -> LoadedImage:
    img = item.get('img')
    if not isinstance(img, np.ndarray):
        raise ValueError(f'dataset item {index} has no loaded image (keys '
                         f'{sorted(item)}): the test pipeline needs a '
                         'loading step, or the dataset must hold images')
    if img.ndim == 2:
        img = img[..., None]
    group = item.get('group_id')
    return img, int(item['gt_label']), None if group is None else int(group)


def iter_loaded(dataset, indices: Sequence[int],
                batch_size: int) -> Iterator[List[LoadedImage]]:
    """Batches of loaded images of ``dataset`` at ``indices``."""
    for start in range(0, len(indices), batch_size):
        yield [
            _loaded(dataset[int(i)], int(i))
            for i in indices[start:start + batch_size]
        ]


def reference_inputs(images: Sequence[np.ndarray], transforms: Sequence[dict],
                     data_preprocessor) -> torch.Tensor:
    """The model's input batch as mmlt computes it: the test pipeline's
    transforms after loading, then the model's data preprocessor."""
    import mmlt.datasets  # noqa: F401 - registers mmlt's transforms
    from mmcv.transforms import Compose
    from mmpretrain.registry import TRANSFORMS
    pipeline = Compose([TRANSFORMS.build(dict(t)) for t in transforms])
    packed = [
        pipeline(dict(img=img.copy(), img_shape=img.shape[:2],
                      ori_shape=img.shape[:2])) for img in images
    ]
    # what MMEngine's default collate (pseudo_collate) hands the model
    batch = dict(inputs=[p['inputs'] for p in packed],
                 data_samples=[p['data_samples'] for p in packed])
    with torch.no_grad():
        out = data_preprocessor(batch, False)
    inputs = out['inputs']
    if isinstance(inputs, list):
        inputs = torch.stack(inputs)
    return inputs
