"""Run a different augmentation pipeline for each group of samples."""
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Union

from mmcv.transforms import BaseTransform, Compose

from mmlt.registry import TRANSFORMS
from mmlt.structures import parse_group_key, read_group_id

__all__ = ['ApplyByGroup', 'build_sub_pipeline']

PipelineCfg = Sequence[Union[dict, Callable]]


def build_sub_pipeline(transforms: Optional[PipelineCfg],
                       what: str) -> Optional[Compose]:
    """A ``Compose`` of ``transforms`` (config dicts or callables).

    Dicts are built with MMPretrain's ``TRANSFORMS`` (which also holds
    mmcv's), so the pipeline builds without a default scope. None stays
    None; an empty list is the identity.

    Raises:
        TypeError: If ``transforms`` is not a list, or an item is neither a
            dict nor a callable (``what`` names the pipeline).
    """
    if transforms is None:
        return None
    if isinstance(transforms, (dict, str)) or not isinstance(
            transforms, Sequence):
        raise TypeError(f'{what} must be a list of transforms (config dicts '
                        f'or callables), got {type(transforms).__name__}: '
                        f'{transforms!r}')
    built = []
    for i, t in enumerate(transforms):
        if isinstance(t, dict):
            built.append(TRANSFORMS.build(t))
        elif callable(t):
            built.append(t)
        else:
            raise TypeError(f'{what}[{i}] must be a transform config dict or '
                            f'a callable, got {type(t).__name__}: {t!r}')
    return Compose(built)


@TRANSFORMS.register_module()
class ApplyByGroup(BaseTransform):
    """Augment each sample with the pipeline of its group.

    A sample's group is ``results['group_id']`` (set by mmlt's datasets from
    the annotations, e.g. ``DigitsLT(group_by='ink')`` or a ``group_id``
    column of ``GroupAnnotationDataset``). Put this transform before
    ``PackInputs``. Only the chosen pipeline runs, so its random draws come
    from the generators that mmengine seeds (the Runner's
    ``randomness.seed`` in the main process and ``seed + worker id`` in
    each data-loader worker): a run is reproducible given its seed.

    Example (stronger augmentation for group 1, none for the others)::

        dict(type='ApplyByGroup',
             pipelines={1: [dict(type='RandomCrop', crop_size=32, padding=4),
                            dict(type='Rotate', magnitude_range=(0, 15))]},
             default=[])

    Args:
        pipelines: ``{group id: list of transform configs}``. Keys are
            non-negative ints (decimal strings, as ``--cfg-options`` gives
            them, are accepted).
        default: Pipeline of the groups not in ``pipelines`` (``[]``: leave
            them unchanged). None (default) makes a sample of an unlisted
            group an error: a typo in a group id would otherwise go
            unnoticed.

    Raises:
        GroupIdError: At call time, a sample without ``group_id`` (with or
            without ``default``: see :mod:`mmlt.structures.group_id`) or
            with one that is not an integer >= 0; a ``ValueError``.
        ValueError: At call time, a sample of an unlisted group when
            ``default`` is None (naming the group id).
    """

    def __init__(self,
                 pipelines: Mapping[int, PipelineCfg],
                 default: Optional[PipelineCfg] = None) -> None:
        if not isinstance(pipelines, Mapping):
            raise TypeError(f'pipelines must be a dict {{group id: list of '
                            f'transforms}}, got {type(pipelines).__name__}: '
                            f'{pipelines!r}')
        if not pipelines and default is None:
            raise ValueError('ApplyByGroup needs at least one group in '
                             'pipelines, or a default pipeline')
        self.pipelines: Dict[int, Compose] = {}
        for key, transforms in pipelines.items():
            group = parse_group_key(key, 'ApplyByGroup.pipelines')
            if group in self.pipelines:
                raise ValueError(f'ApplyByGroup.pipelines names group '
                                 f'{group} twice ({key!r})')
            self.pipelines[group] = build_sub_pipeline(
                transforms, f'pipelines[{group}]')
            if self.pipelines[group] is None:
                raise TypeError(f'pipelines[{group}] is None: give a list '
                                '([] for no augmentation)')
        self.default = build_sub_pipeline(default, 'default')

    @property
    def transforms(self) -> List[Compose]:
        """Every sub-pipeline (for code that walks a pipeline's tree)."""
        subs = list(self.pipelines.values())
        return subs + ([self.default] if self.default is not None else [])

    def pipeline_for(self, results: dict) -> Compose:
        """The pipeline of the sample's group."""
        group = read_group_id(results, 'ApplyByGroup')
        if group in self.pipelines:
            return self.pipelines[group]
        if self.default is not None:
            return self.default
        where = f' (image {results["img_path"]})' \
            if 'img_path' in results else ''
        raise ValueError(f'ApplyByGroup: group_id {group!r}{where} has no '
                       f'pipeline (groups with one: {sorted(self.pipelines)}) '
                       'and no default pipeline is set')

    def transform(self, results: dict) -> Optional[dict]:
        return self.pipeline_for(results)(results)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(pipelines={self.pipelines}, '
                f'default={self.default})')
