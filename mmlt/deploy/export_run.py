"""Export a trained classifier, then measure what the export costs.

:func:`export_and_evaluate` is what ``tools/deployment/export.py`` runs:
it writes ``model.onnx`` (fp32), ``model_int8.onnx`` (with ``int8``),
``model_fp16.onnx`` (with ``fp16``, CUDA only) and ``preprocess.json`` into
the output folder, evaluates fp32 PyTorch and every exported model on the
config's test set with :class:`~mmlt.evaluation.LongTailMetric`, times them
on this machine, and applies the few-shot guard to the exported format.
"""
import copy
import io
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch

from .accuracy_guard import (GuardResult, check_max_drop, few_shot_guard,
                             long_tail_metrics)
from .calibration import CALIB_STRATEGIES, calibration_indices
from .data import build_loaded_dataset, iter_loaded, reference_inputs
from .exportable import (ScoresModule, build_classifier, check_exportable,
                         training_class_counts)
from .onnx_export import export_onnx, onnx_opset
from .preprocess import (apply_steps, build_spec, pipeline_steps,
                         preprocess_batch, split_loading, write_spec)
from .quantize import CALIB_METHODS, quantize_int8
from .session import create_session
from .timing import measure_speeds

__all__ = ['FORMATS', 'ExportOptions', 'ExportResult', 'export_and_evaluate',
           'test_pipeline_of', 'check_options']

FORMATS = ('onnx', 'int8', 'fp16')
PYTORCH = 'PyTorch fp32'
ONNX_FP32 = 'ONNX fp32'


@dataclass
class ExportOptions:
    """What to export and how to measure it (validated by
    :func:`check_options`)."""
    fmt: str = 'onnx'
    calib_samples: int = 256
    calib_strategy: str = 'class_balanced'
    calib_method: str = 'percentile'
    max_few_shot_drop: float = 2.0
    batch_size: int = 64
    speed_repeats: int = 20
    test_limit: Optional[int] = None
    seed: int = 0


@dataclass
class ExportResult:
    """Files written and everything measured (see ``report.py``)."""
    out_dir: str
    files: Dict[str, str]
    opset: int
    input_shape: List[int]
    num_test: int
    threads: int
    rows: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    guard: Optional[GuardResult] = None
    guarded: str = ''
    calibration: Dict[str, Any] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    classes: List[str] = field(default_factory=list)
    preprocess_max_diff: float = 0.0


def check_options(options: ExportOptions) -> ExportOptions:
    """Raise ValueError naming the first bad option."""
    if options.fmt not in FORMATS:
        raise ValueError(f'format {options.fmt!r} is not one of {FORMATS}')
    if options.calib_strategy not in CALIB_STRATEGIES:
        raise ValueError(f'calibration strategy {options.calib_strategy!r} '
                         f'is not one of {CALIB_STRATEGIES}')
    if options.calib_method not in CALIB_METHODS:
        raise ValueError(f'calibration method {options.calib_method!r} is '
                         f'not one of {tuple(CALIB_METHODS)}')
    for name in ('calib_samples', 'batch_size', 'speed_repeats'):
        value = getattr(options, name)
        if isinstance(value, bool) or not isinstance(value,
                                                     int) or value < 1:
            raise ValueError(f'{name} must be a positive int, got {value!r}')
    if options.test_limit is not None and (
            isinstance(options.test_limit, bool)
            or not isinstance(options.test_limit, int)
            or options.test_limit < 1):
        raise ValueError('test_limit must be None or a positive int, got '
                         f'{options.test_limit!r}')
    check_max_drop(options.max_few_shot_drop)
    return options


def test_pipeline_of(cfg) -> List[dict]:
    """The test dataset's pipeline (what ``tools/test.py`` runs)."""
    try:
        pipeline = cfg.test_dataloader.dataset.pipeline
    except AttributeError:
        raise ValueError('the config has no test_dataloader.dataset.pipeline '
                         'to export the preprocessing from') from None
    return [dict(s) for s in pipeline]


def _state_bytes(module: torch.nn.Module) -> int:
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.tell()


def _class_counts(model, cfg, loading) -> Optional[np.ndarray]:
    counts = training_class_counts(model)
    if counts is not None:
        return counts
    from mmlt.datasets.label_utils import get_class_counts
    try:
        train = build_loaded_dataset(cfg.train_dataloader.dataset, loading)
    except Exception:  # noqa: BLE001 - the report then has no shot bins
        return None
    return np.asarray(get_class_counts(train), np.int64)


def _calibration_batches(cfg, loading, spec, options: ExportOptions,
                         num_classes: int):
    train = build_loaded_dataset(cfg.train_dataloader.dataset, loading)
    indices = calibration_indices(train, options.calib_samples,
                                  options.calib_strategy, options.seed)
    batches, labels = [], []
    for chunk in iter_loaded(train, indices, 32):
        batches.append(preprocess_batch([c[0] for c in chunk], spec))
        labels += [c[1] for c in chunk]
    per_class = np.bincount(labels, minlength=num_classes)
    return batches, per_class


def _fp16_backend(model, shape, out_dir: str, export: bool,
                  notes: List[str], files: Dict[str, str]):
    """PyTorch (and, when exported and runnable, ONNX) fp16 on CUDA."""
    half = copy.deepcopy(ScoresModule(model)).cuda().half().eval()

    def torch_fp16(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = half(torch.from_numpy(x).cuda().half())
        return out.float().cpu().numpy()

    backends = {'PyTorch fp16 (CUDA)': torch_fp16}
    if export:
        path = export_onnx(copy.deepcopy(half), osp.join(out_dir,
                                                         'model_fp16.onnx'),
                           shape, dtype=torch.float16, device='cuda')
        files['fp16'] = path
        import onnxruntime as ort
        if 'CUDAExecutionProvider' in ort.get_available_providers():
            session = create_session(path, providers=['CUDAExecutionProvider'])
            name = session.get_inputs()[0].name
            backends['ONNX fp16 (CUDA)'] = lambda x: session.run(
                None, {name: x.astype(np.float16)})[0].astype(np.float32)
        else:
            notes.append('model_fp16.onnx written; not evaluated: this '
                         "ONNX Runtime has no CUDAExecutionProvider "
                         '(install onnxruntime-gpu)')
    return backends


def export_and_evaluate(cfg, checkpoint: str, out_dir: str,
                        options: ExportOptions,
                        log: Callable[[str], None] = print) -> ExportResult:
    """Export ``checkpoint`` of ``cfg`` and measure it (module docstring).

    Raises:
        FileNotFoundError: For a missing checkpoint.
        ValueError: For a bad option, a test pipeline step or head that
            cannot be exported (:class:`~mmlt.deploy.preprocess.
            PreprocessError`, :class:`~mmlt.deploy.exportable.ExportError`).
        RuntimeError: For ``fp16`` without a CUDA device.
    """
    options = check_options(options)
    if options.fmt == 'fp16' and not torch.cuda.is_available():
        raise RuntimeError('format fp16 needs a CUDA device; this machine '
                           'has none (use onnx or int8 on CPU)')
    loading, transforms = split_loading(test_pipeline_of(cfg))
    pipeline_steps(transforms)  # refuse an inexpressible step first
    model = build_classifier(cfg, checkpoint)
    test = build_loaded_dataset(cfg.test_dataloader.dataset, loading)
    classes = [str(c) for c in test.metainfo.get('classes', ())]
    num_test = len(test) if options.test_limit is None else min(
        len(test), options.test_limit)
    if num_test == 0:
        raise ValueError('the config\'s test set is empty')
    first = next(iter_loaded(test, [0], 1))[0][0]
    h, w, c = apply_steps(first, pipeline_steps(transforms)).shape
    shape = [int(c), int(h), int(w)]
    check_exportable(model, shape)
    with torch.no_grad():
        head_classes = int(ScoresModule(model).eval()(torch.zeros(
            1, *shape)).shape[1])
    if len(classes) != head_classes:
        classes = [str(i) for i in range(head_classes)]
    spec = build_spec(transforms, model.data_preprocessor, shape, classes)

    os.makedirs(out_dir, exist_ok=True)
    files = dict(preprocess=write_spec(spec, out_dir))
    log(f'exporting fp32 ONNX (input {shape}, dynamic batch)')
    files['onnx'] = export_onnx(
        ScoresModule(copy.deepcopy(model)), osp.join(out_dir, 'model.onnx'),
        shape, spec['input_name'], spec['output_name'])
    result = ExportResult(
        out_dir=out_dir,
        files=files,
        opset=onnx_opset(files['onnx']),
        input_shape=shape,
        num_test=num_test,
        threads=torch.get_num_threads(),
        classes=classes)
    counts = _class_counts(model, cfg, loading)
    if counts is None:
        result.notes.append('training class counts unknown (neither the '
                            'checkpoint nor the training set): no shot bins')

    if options.fmt == 'int8':
        log(f'calibrating int8 on {options.calib_samples} training images '
            f'({options.calib_strategy}, {options.calib_method} ranges)')
        batches, per_class = _calibration_batches(cfg, loading, spec,
                                                  options, len(classes))
        result.calibration = dict(
            strategy=options.calib_strategy,
            method=options.calib_method,
            images=int(per_class.sum()),
            per_class=per_class.tolist())
        files['int8'] = quantize_int8(
            files['onnx'], osp.join(out_dir, 'model_int8.onnx'), batches,
            spec['input_name'], options.calib_method)

    # ---------------------------------------------------------- backends
    torch_module = ScoresModule(model).eval()

    def run_torch(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch_module(torch.from_numpy(x)).numpy()

    backends: Dict[str, Callable[[np.ndarray], np.ndarray]] = {}
    sizes = {PYTORCH: _state_bytes(torch_module)}
    for key, name in (('onnx', ONNX_FP32), ('int8', 'ONNX int8')):
        if key in files:
            session = create_session(files[key])
            backends[name] = (lambda s: lambda x: s.run(
                None, {spec['input_name']: x})[0])(session)
            sizes[name] = osp.getsize(files[key])
    if torch.cuda.is_available():
        backends.update(
            _fp16_backend(model, shape, out_dir, options.fmt == 'fp16',
                          result.notes, files))
        if 'fp16' in files:
            sizes['ONNX fp16 (CUDA)'] = osp.getsize(files['fp16'])
    else:
        result.notes.append('fp16: skipped, no CUDA device on this machine '
                            '(fp16 is exported and measured on CUDA only)')

    # ---------------------------------------------------------- accuracy
    log(f'evaluating on {num_test} test images')
    scores = {name: [] for name in [PYTORCH, *backends]}
    labels, groups = [], []
    diff = 0.0
    for chunk in iter_loaded(test, range(num_test), options.batch_size):
        images = [c[0] for c in chunk]
        labels += [c[1] for c in chunk]
        groups += [c[2] for c in chunk]
        ref_in = reference_inputs(images, transforms,
                                  model.data_preprocessor).numpy()
        json_in = preprocess_batch(images, spec)
        diff = max(diff, float(np.abs(ref_in - json_in).max()))
        scores[PYTORCH].append(run_torch(ref_in))
        for name, run in backends.items():
            scores[name].append(np.asarray(run(json_in), np.float32))
    result.preprocess_max_diff = diff
    ref_scores = np.concatenate(scores[PYTORCH])
    scores_of = {}
    for name, parts in scores.items():
        s = scores_of[name] = np.concatenate(parts)
        row = dict(metrics=long_tail_metrics(s, labels, groups, counts,
                                             classes))
        row['max_abs_diff'] = float(np.abs(s - ref_scores).max())
        row['agreement'] = 100 * float(
            np.mean(s.argmax(1) == ref_scores.argmax(1)))
        row['size_bytes'] = sizes.get(name)
        result.rows[name] = row

    # ------------------------------------------------------------- speed
    log('timing ' + ', '.join([PYTORCH, *backends]) + ' (interleaved)')
    speeds = measure_speeds({PYTORCH: run_torch, **backends}, shape,
                            options.speed_repeats, options.batch_size)
    for name, speed in speeds.items():
        result.rows[name].update(speed)
    base = result.rows[PYTORCH]
    for row in result.rows.values():
        row['latency_ratio'] = row['latency_ms'] / base['latency_ms']
        row['throughput_ratio'] = row['throughput'] / base['throughput']

    guarded = {'onnx': ONNX_FP32, 'int8': 'ONNX int8',
               'fp16': 'ONNX fp16 (CUDA)'}[options.fmt]
    if guarded not in result.rows and options.fmt == 'fp16':
        guarded = 'PyTorch fp16 (CUDA)'
    result.guarded = guarded
    result.guard = few_shot_guard(
        base['metrics'], result.rows[guarded]['metrics'],
        options.max_few_shot_drop, classes, labels, ref_scores,
        scores_of[guarded], counts, options.seed)
    return result
