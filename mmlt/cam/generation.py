"""Generate the image set of CAM-based sampling for a long-tailed training
set (Zhang et al., "Bag of Tricks for Long-Tailed Visual Recognition",
AAAI 2021).

What ``tools/dataset/generate_cam_samples.py`` runs. The training set of a
config is built with every pipeline removed, so each image is the
dataset's own array (``img`` of in-memory datasets such as Fashion-MNIST and
CIFAR) or the output of the test pipeline's loading transforms (file
datasets): no random augmentation. The rest of the test pipeline and the
model's data preprocessor make the model's input. The CAM of the image's
class is resized back onto the raw image (so the test pipeline may resize,
but not crop or pad), and :func:`mmlt.cam.sampling.cam_augment`
makes the new image, written as PNG with the array exactly as the dataset
gives it (``mmcv.imwrite``), so ``LoadImageFromFile`` (with
``color_type='grayscale'`` for 2-d images) reads back that very array. The
annotation file is a CSV that :class:`~mmlt.datasets.GroupAnnotationDataset`
reads: ``filename,label,group_id,source_index,transform``, the label as a
class name, the group id of the source image, and its index in the training
set.
"""
import copy
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from mmlt.datasets.annotation_writers import write_annotation_file
from mmlt.datasets.label_utils import get_classes, get_group_ids, get_labels
from .activation_maps import (check_cam_model, class_activation_maps,
                              gradient_weighted_cam, upsample_cams)
from .sampling import (FOREGROUND_TRANSFORMS, cam_augment, draw_sources,
                       foreground_mask, generation_counts)

__all__ = [
    'ANN_FILE', 'IMG_DIR', 'CamGeneration', 'strip_pipelines',
    'split_test_pipeline', 'build_cam_model', 'generate_cam_samples',
    'generation_count_table'
]

#: The annotation file and image folder written under the output folder.
ANN_FILE = 'cam_samples.csv'
IMG_DIR = 'images'
_REMOTE_PREFIXES = ('http://', 'https://', 'open-mmlab://', 'openmmlab://',
                    'torchvision://', 'mmcls://', 'pavi://', 's3://')


@dataclass
class CamGeneration:
    """What :func:`generate_cam_samples` wrote."""
    class_counts: np.ndarray
    generated: np.ndarray
    classes: Optional[Tuple[str, ...]]
    ann_file: str
    rows: List[dict] = field(default_factory=list)
    image_ndim: Optional[int] = None
    #: generated images equal to their source (e.g. a translation that has
    #: no room to move a foreground spanning the whole image)
    unchanged: int = 0


def strip_pipelines(dataset_cfg: Any) -> Any:
    """A copy of a dataset config with every ``pipeline`` emptied, through
    wrappers (``dataset=``, ``datasets=[...]``)."""
    if isinstance(dataset_cfg, dict):
        out = type(dataset_cfg)()
        for key, value in dataset_cfg.items():
            out[key] = [] if key == 'pipeline' else strip_pipelines(value)
        return out
    if isinstance(dataset_cfg, (list, tuple)):
        return type(dataset_cfg)(strip_pipelines(v) for v in dataset_cfg)
    return copy.deepcopy(dataset_cfg)


def _type_name(transform: Any) -> str:
    kind = transform.get('type') if isinstance(transform, dict) else \
        transform
    return kind if isinstance(kind, str) else getattr(
        kind, '__name__', type(transform).__name__)


def split_test_pipeline(pipeline: Sequence) -> Tuple[list, list]:
    """``(loading transforms, the rest)`` of a test pipeline.

    Raises:
        ValueError: If the rest crops or pads: the CAM could then not be
            laid back onto the whole image.
    """
    pipeline = list(pipeline)
    split = 0
    while split < len(pipeline) and _type_name(
            pipeline[split]).startswith('LoadImage'):
        split += 1
    for transform in pipeline[split:]:
        name = _type_name(transform)
        if 'Crop' in name or 'Pad' in name:
            raise ValueError(
                f'the test pipeline has {name}: CAM-based sampling lays the '
                'CAM back onto the whole image, so the pipeline may resize '
                'but not crop or pad')
    return pipeline[:split], pipeline[split:]


def build_cam_model(cfg, checkpoint: str, device: Union[str,
                                                        torch.device] = 'cpu',
                    cam_layer: Optional[str] = None) -> torch.nn.Module:
    """The config's model with the checkpoint's weights, in eval mode.

    The checkpoint goes through mmengine's ``load_checkpoint`` and so
    through mmlt's trust policy (:mod:`mmlt.utils.checkpoint_trust`): a
    stage-1 checkpoint of another work_dir loads with ``weights_only=True``.

    Raises:
        FileNotFoundError: If a local ``checkpoint`` does not exist.
        ValueError: If CAM is undefined for the model and no ``cam_layer``
            is given (checked before loading).
    """
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if not isinstance(checkpoint, str) or not checkpoint:
        raise ValueError(f'checkpoint={checkpoint!r} must be a file path')
    if not checkpoint.startswith(_REMOTE_PREFIXES) and not osp.isfile(
            osp.expanduser(checkpoint)):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    model_cfg = copy.deepcopy(cfg.model)
    if 'data_preprocessor' not in model_cfg and cfg.get('data_preprocessor'):
        model_cfg['data_preprocessor'] = copy.deepcopy(cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    if cam_layer is None:
        check_cam_model(model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                    logger='current')
    return model.to(device).eval()


def _raw_image(dataset, index: int, load) -> Tuple[np.ndarray, dict]:
    info = dataset[index]
    if 'img' not in info:
        if not load.transforms:
            raise ValueError(
                f'sample {index} has no "img" array and the test pipeline '
                'has no LoadImageFromFile to read its file')
        info = load(info)
    img = info['img']
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or \
            img.ndim not in (2, 3):
        raise TypeError(f'sample {index}: CAM-based sampling writes 8-bit '
                        f'PNGs and needs a uint8 (H, W[, C]) image, got '
                        f'{getattr(img, "dtype", type(img).__name__)} of '
                        f'shape {getattr(img, "shape", None)}')
    return img, info


def generate_cam_samples(cfg,
                         checkpoint: str,
                         out_dir: str,
                         transform: str = 'random',
                         seed: int = 0,
                         target: Union[str, int] = 'max_plus_min',
                         max_per_class: Optional[int] = None,
                         mean_ratio: float = 0.75,
                         cam_layer: Optional[str] = None,
                         batch_size: int = 64,
                         device: Union[str, torch.device] = 'cpu',
                         overwrite: bool = False) -> CamGeneration:
    """Write the CAM-based sampling images of ``cfg``'s training set.

    Args:
        cfg: The stage-1 config (its ``train_dataloader.dataset`` is the
            long-tailed set, its ``model`` the checkpoint's).
        checkpoint: The stage-1 checkpoint.
        out_dir: Where ``images/`` and :data:`ANN_FILE` are written.
        transform: ``'flip'``, ``'translate'``, ``'rotate_scale'`` or
            ``'random'`` (the official code's per-image choice).
        seed: Seed of the source draw and of every image's transform.
        target, max_per_class: See
            :func:`mmlt.cam.sampling.generation_counts`.
        mean_ratio: Foreground threshold, a multiple of the mean of the
            normalised CAM (official code: 3/4).
        cam_layer: None for CAM on the last feature map; a module name
            (``'backbone.stages.0'``) for the gradient-weighted map there,
            when the last map is too coarse (see :mod:`mmlt.cam.activation_maps`).
        batch_size: Images per forward pass.
        device: Where the model runs.
        overwrite: Replace an existing annotation file in ``out_dir``.
    """
    import mmcv
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.logging import print_log
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS

    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if transform not in FOREGROUND_TRANSFORMS + ('random', ):
        raise ValueError(f'transform={transform!r} is not one of '
                         f'{FOREGROUND_TRANSFORMS + ("random", )}')
    foreground_mask(np.zeros((1, 1)), mean_ratio)  # validates mean_ratio
    if isinstance(batch_size, bool) or not isinstance(
            batch_size, int) or batch_size < 1:
        raise ValueError(f'batch_size={batch_size!r} must be a positive int')
    ann_file = osp.join(out_dir, ANN_FILE)
    if osp.exists(ann_file) and not overwrite:
        raise FileExistsError(f'{ann_file} exists; pass overwrite=True '
                              '(--overwrite) to replace it')
    dataset_cfg = cfg.train_dataloader.dataset
    if dataset_cfg.get('type') == 'ConcatDataset':
        raise ValueError('the training set of this config is a '
                         'ConcatDataset (a stage-2 config?); pass the '
                         'stage-1 config, whose training set is the '
                         'long-tailed set')
    test_loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if not test_loader:
        raise ValueError('the config has no test_dataloader or '
                         'val_dataloader to take the test pipeline from')
    load_cfg, rest_cfg = split_test_pipeline(test_loader.dataset.pipeline)
    load, rest = Compose(load_cfg), Compose(rest_cfg)

    dataset = DATASETS.build(strip_pipelines(dataset_cfg))
    labels = get_labels(dataset)
    groups = get_group_ids(dataset)
    classes = get_classes(dataset)
    num_classes = len(classes) if classes is not None else int(
        labels.max()) + 1
    counts = np.bincount(labels, minlength=num_classes)
    generated = generation_counts(counts, target, max_per_class,
                                  classes=classes)
    sources = draw_sources(labels, generated, seed)
    model = build_cam_model(cfg, checkpoint, device, cam_layer)
    result = CamGeneration(counts, generated, classes, ann_file)
    print_log(f'CAM-based sampling: {len(sources)} images to generate from '
              f'{len(labels)} training images', logger='current')

    for start in range(0, len(sources), batch_size):
        batch = sources[start:start + batch_size]
        raws, packed = [], []
        for index in batch:
            raw, info = _raw_image(dataset, int(index), load)
            raws.append(raw)
            packed.append(rest(dict(info, img=raw.copy())))
        with torch.no_grad():
            inputs = model.data_preprocessor(pseudo_collate(packed),
                                             False)['inputs']
        batch_labels = torch.as_tensor(labels[batch], device=inputs.device)
        if cam_layer is None:
            cams = class_activation_maps(model, inputs, batch_labels)
        else:
            cams = gradient_weighted_cam(model, inputs, batch_labels,
                                         cam_layer)
        if cams.shape[-2:] == (1, 1):
            where = 'the last feature map' if cam_layer is None else \
                f'layer {cam_layer!r}'
            raise ValueError(
                f'{where} is 1x1 for inputs of shape '
                f'{tuple(inputs.shape[-2:])}: the CAM has no spatial '
                'extent to tell foreground from background; pass an '
                'earlier layer as cam_layer (--cam-layer), e.g. '
                '"backbone.stages.0" for ConvNeXt')
        for j, (index, raw) in enumerate(zip(batch, raws)):
            k = start + j
            cam = upsample_cams(cams[j:j + 1], raw.shape[:2])[0]
            rng = np.random.default_rng([seed, k])
            image, params = cam_augment(raw, cam.cpu().numpy(), transform,
                                        rng, mean_ratio)
            result.unchanged += int(np.array_equal(image, raw))
            rel_path = f'{IMG_DIR}/cam_{k:06d}.png'
            path = osp.join(out_dir, rel_path)
            mmcv.imwrite(image, path)
            if k == 0:
                _check_round_trip(image, path)
                result.image_ndim = image.ndim
            result.rows.append(
                dict(img_path=rel_path, gt_label=int(labels[index]),
                     group_id=int(groups[index]), source_index=int(index),
                     transform=params['kind']))
        done = start + len(batch)
        if (start // batch_size) % 20 == 19 or done == len(sources):
            print_log(f'CAM-based sampling: {done}/{len(sources)} images',
                      logger='current')
    write_annotation_file(result.rows, ann_file, classes, ann_format='csv')
    return result


def _check_round_trip(image: np.ndarray, path: str) -> None:
    import mmcv
    back = mmcv.imread(path, flag='unchanged')
    if back is None or back.shape != image.shape or \
            not np.array_equal(back, image):
        raise RuntimeError(f'{path} does not read back as the array '
                           f'written (shape {image.shape})')


def generation_count_table(class_counts: Sequence[int],
                           generated: Sequence[int],
                           classes: Optional[Sequence[str]] = None) -> str:
    """Per-class before / generated / after counts, as text."""
    lines = [f'{"class":<28}{"before":>9}{"generated":>11}{"after":>9}']
    for c, (n, g) in enumerate(zip(class_counts, generated)):
        name = f'{c} ({classes[c]})' if classes is not None else str(c)
        lines.append(f'{name:<28}{int(n):>9}{int(g):>11}{int(n + g):>9}')
    total_n, total_g = int(np.sum(class_counts)), int(np.sum(generated))
    lines.append(f'{"total":<28}{total_n:>9}{total_g:>11}'
                 f'{total_n + total_g:>9}')
    return '\n'.join(lines)
