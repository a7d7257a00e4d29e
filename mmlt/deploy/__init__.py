"""Deployment: export a trained classifier to ONNX (fp32, int8, fp16 on
CUDA) with its preprocessing as JSON, and measure what the export costs
in long-tail accuracy and speed. Needs the ``deploy`` extra (onnx,
onnxscript, onnxruntime); importing this package does not."""
from .calibration import CALIB_STRATEGIES, calibration_indices
from .exportable import (ExportError, ScoresModule, build_classifier,
                         check_exportable)
from .exported_inferencer import ExportedInferencer
from .preprocess import (PreprocessError, build_spec, preprocess_batch,
                         preprocess_image, read_spec)

__all__ = [
    'CALIB_STRATEGIES', 'calibration_indices', 'ExportError', 'ScoresModule',
    'build_classifier', 'check_exportable', 'ExportedInferencer',
    'PreprocessError', 'build_spec',
    'preprocess_batch', 'preprocess_image', 'read_spec'
]
