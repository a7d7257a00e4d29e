"""CAM-based sampling (Zhang et al., "Bag of Tricks for Long-Tailed Visual
Recognition with Deep Convolutional Neural Networks", AAAI 2021) in one
folder, one step per module:

- :mod:`.activation_maps`: the class activation map of an image's true class
  from an MMPretrain classifier (CAM, Zhou et al. CVPR 2016; the
  gradient-weighted map of an earlier layer when the last map is too
  coarse);
- :mod:`.sampling`: pure numpy functions that decide how many images each
  class gets and from which sources, and make a new image from a source and
  its map (foreground mask, flip / translation / rotation with scaling,
  composite);
- :mod:`.generation`: the two joined on a config's training set, writing
  the images and an annotation file (what
  ``tools/dataset/generate_cam_samples.py`` runs).

The feature is an offline data-generation step that needs a trained model,
so it is neither a dataset, a transform nor a programmatic API of its own;
it lives here rather than split between ``mmlt/apis`` and
``mmlt/datasets``. The annotation file is written with
:func:`mmlt.datasets.annotation_writers.write_annotation_file`, which stays
in ``mmlt/datasets`` beside the parsers it mirrors: it is the general
writer of annotation lists (``tools/dataset/balance_annotations.py`` uses it
too), not a part of CAM-based sampling.

Nothing here registers a module, so ``import mmlt`` does not import it.
"""
from .activation_maps import (check_cam_model, class_activation_maps,
                              compute_cam, gradient_weighted_cam,
                              upsample_cams)
from .generation import (CamGeneration, generate_cam_samples,
                         generation_count_table)
from .sampling import (FOREGROUND_TRANSFORMS, cam_augment, draw_sources,
                       foreground_mask, generation_counts)

__all__ = [
    'check_cam_model', 'class_activation_maps', 'compute_cam',
    'gradient_weighted_cam', 'upsample_cams', 'CamGeneration',
    'generate_cam_samples', 'generation_count_table', 'FOREGROUND_TRANSFORMS',
    'cam_augment', 'draw_sources', 'foreground_mask', 'generation_counts'
]
