"""Evaluate an exported model on a config's test set, as ``tools/test.py``
evaluates a checkpoint: mmlt's LongTailMetric, shot bins from the
config's training set (its labels only; no image is loaded)."""
from typing import Any, Dict, Optional

import numpy as np

from .data import build_loaded_dataset, iter_loaded
from .preprocess import split_loading

__all__ = ['evaluate_exported']


def evaluate_exported(cfg,
                      model_path: str,
                      preprocess: Optional[str] = None,
                      batch_size: int = 64,
                      limit: Optional[int] = None,
                      print_report: bool = True,
                      out_dir: Optional[str] = None) -> Dict[str, Any]:
    """LongTailMetric's results of the exported ``model_path``.

    Args:
        cfg: The config the model was trained with (its test and training
            datasets are read).
        model_path: The exported ``.onnx``; ``preprocess.json`` beside it
            unless ``preprocess`` is given.
        batch_size: Images per ONNX Runtime call.
        limit: Evaluate the first ``limit`` test images only.
        print_report: Log LongTailMetric's report.
        out_dir: Where LongTailMetric writes ``per_class.csv``/``.json``.
    """
    import torch

    from mmlt.datasets.label_utils import get_class_counts
    from mmlt.evaluation import LongTailMetric
    from .export_run import test_pipeline_of
    from .exported_inferencer import ExportedInferencer
    inferencer = ExportedInferencer(model_path, preprocess)
    loading, _ = split_loading(test_pipeline_of(cfg))
    test = build_loaded_dataset(cfg.test_dataloader.dataset, loading)
    counts = None
    if cfg.get('train_dataloader') is not None:
        train = build_loaded_dataset(cfg.train_dataloader.dataset, loading)
        counts = np.asarray(
            get_class_counts(train, len(inferencer.classes)), np.int64)
    metric = LongTailMetric(
        topk=(1, 5) if len(inferencer.classes) >= 5 else (1, ),
        class_counts=counts,
        print_report=print_report,
        save_per_class=out_dir is not None,
        out_dir=out_dir)
    metric.dataset_meta = dict(classes=tuple(inferencer.classes))
    num = len(test) if limit is None else min(limit, len(test))
    for chunk in iter_loaded(test, range(num), batch_size):
        scores = inferencer.predict_scores([c[0] for c in chunk])
        samples = []
        for score, (_, label, group) in zip(scores, chunk):
            sample = dict(pred_score=torch.from_numpy(score),
                          gt_label=label)
            if group is not None:
                sample['group_id'] = group
            samples.append(sample)
        metric.process(None, samples)
    return metric.compute_metrics(metric.results)
