"""What exporting a trained model costs: fp32 ONNX and int8 against fp32
PyTorch, with both calibration strategies.

    python -m benchmarks.bench_export CONFIG CHECKPOINT
        [--out docs/benchmarks.md] [--work-dir work_dirs/bench_export]
        [--calib-samples 256] [--speed-repeats 20] [--test-limit N]
        [--section export]

Trains nothing: it runs ``tools/deployment/export.py`` (with this Python) on
the given checkpoint four times, ``--format onnx`` and ``--format int8``
with ``--calib-strategy class_balanced`` and ``instance`` (the tool's
percentile ranges) and class-balanced with ``--calib-method minmax``, each
in its own process, reads their ``report.json`` and writes the section
``export`` of ``--out`` (or ``--section``, headed ``--title``). Speed
ratios are to fp32 PyTorch timed in the same process as the model they
describe. The protocol's model is
``configs/baselines/resnet20_ce_1xb128_fashion-mnist-lt1k-ir100.py``.

Targets (issue 15): int8 throughput at batch 64 >= 2x fp32 PyTorch's,
balanced accuracy drop <= 1 point, few-shot drop <= 2 points; fp32 ONNX
scores within 1e-4 of PyTorch's.
"""
import argparse
import json
import math
import os.path as osp
import shlex
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence

from benchmarks.common import ROOT, git_provenance, machine_info
from benchmarks.page import write_report

EXPORT_TOOL = osp.join(ROOT, 'tools', 'deployment', 'export.py')
DEFAULT_TITLE = 'Export: ONNX and int8 against PyTorch'
# (format, calibration strategy, calibration method), keyed by run_key()
RUNS = (('onnx', None, None), ('int8', 'class_balanced', 'percentile'),
        ('int8', 'instance', 'percentile'),
        ('int8', 'class_balanced', 'minmax'))
INT8_LABELS = {
    'int8_class_balanced': 'int8, class-balanced calibration',
    'int8_instance': 'int8, instance calibration',
    'int8_class_balanced_minmax': 'int8, class-balanced, MinMax ranges',
}


def run_key(fmt: str, strategy: Optional[str],
            method: Optional[str]) -> str:
    """``onnx``, ``int8_<strategy>`` (percentile ranges) or
    ``int8_<strategy>_<method>``."""
    key = fmt if strategy is None else f'{fmt}_{strategy}'
    return key if method in (None, 'percentile') else f'{key}_{method}'


TARGETS = dict(throughput_ratio=2.0, balanced_drop=1.0, few_drop=2.0,
               max_abs_diff=1e-4)


def run_export(args: argparse.Namespace, fmt: str, strategy: Optional[str],
               method: Optional[str] = None) -> Dict[str, Any]:
    """Run the export tool once; return its report.json and exit code."""
    name = run_key(fmt, strategy, method)
    out = osp.join(args.work_dir, name)
    cmd = [sys.executable, EXPORT_TOOL, args.config, args.checkpoint,
           '--format', fmt, '--out', out,
           '--calib-samples', str(args.calib_samples),
           '--speed-repeats', str(args.speed_repeats)]
    if strategy is not None:
        cmd += ['--calib-strategy', strategy]
    if method is not None:
        cmd += ['--calib-method', method]
    if args.test_limit is not None:
        cmd += ['--test-limit', str(args.test_limit)]
    print('+ ' + ' '.join(map(shlex.quote, cmd)), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode not in (0, 1):  # 1: the guard failed, still a report
        raise RuntimeError(f'{" ".join(cmd)} failed with exit code '
                           f'{proc.returncode}')
    with open(osp.join(out, 'report.json')) as f:
        report = json.load(f)
    report['exit_code'] = proc.returncode
    return report


def _pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '–'
    return f'{value:.2f}'


def _row(label: str, row: Dict[str, Any], classes: Sequence[str]) -> str:
    m = row['metrics']
    worst = m.get('worst_class')
    worst = classes[worst] if isinstance(worst, int) and worst < len(
        classes) else worst
    size = row.get('size_bytes')
    return (f'| {label} | {_pct(m.get("top1"))} | '
            f'{_pct(m.get("balanced_accuracy"))} | '
            f'{_pct(m.get("many_shot"))} | {_pct(m.get("medium_shot"))} | '
            f'{_pct(m.get("few_shot"))} | {worst} '
            f'({_pct(m.get("worst_class_accuracy"))}) | '
            f'{"–" if size is None else f"{size / 2**20:.2f}"} | '
            f'{row["latency_ms"]:.2f} ({row["latency_ratio"]:.2f}x) | '
            f'{row["throughput"]:.0f} ({row["throughput_ratio"]:.2f}x) | '
            f'{row["max_abs_diff"]:.1e} | {row["agreement"]:.2f} |')


def _mark(ok: bool) -> str:
    return 'met' if ok else '**missed**'


def render_section(reports: Dict[str, Dict[str, Any]]) -> List[str]:
    """The table and the targets, from the tool's report.json of each run
    (keys ``onnx``, ``int8_class_balanced``, ``int8_instance``)."""
    onnx = reports['onnx']
    classes = onnx['classes']
    base = onnx['rows']['PyTorch fp32']
    lines = [
        '| model | top-1 | balanced | many | medium | few | worst class | '
        'size (MB) | latency b1, ms (vs PyTorch) | throughput b64, img/s '
        '(vs PyTorch) | max abs score diff | top-1 agreement |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        _row('PyTorch fp32', base, classes),
        _row('ONNX fp32', onnx['rows']['ONNX fp32'], classes),
    ]
    for key, label in INT8_LABELS.items():
        if key in reports:
            lines.append(_row(label, reports[key]['rows']['ONNX int8'],
                              classes))
    lines += ['', 'Targets:', '']
    diff = onnx['rows']['ONNX fp32']['max_abs_diff']
    lines.append(f'- fp32 ONNX scores within {TARGETS["max_abs_diff"]:g} of '
                 f'PyTorch\'s: {diff:.1e}, '
                 f'{_mark(diff <= TARGETS["max_abs_diff"])}')
    for key in INT8_LABELS:
        if key not in reports:
            continue
        rep = reports[key]
        ref, q = rep['rows']['PyTorch fp32'], rep['rows']['ONNX int8']
        bal = ref['metrics']['balanced_accuracy'] - q['metrics'][
            'balanced_accuracy']
        few = ref['metrics'].get('few_shot', math.nan) - q['metrics'].get(
            'few_shot', math.nan)
        ratio = q['throughput_ratio']
        lines.append(
            f'- {key.replace("_", " ", 1)}: throughput {ratio:.2f}x '
            f'(>= {TARGETS["throughput_ratio"]:g}x: '
            f'{_mark(ratio >= TARGETS["throughput_ratio"])}), balanced '
            f'accuracy drop {bal:.2f} (<= {TARGETS["balanced_drop"]:g}: '
            f'{_mark(bal <= TARGETS["balanced_drop"])}), few-shot drop '
            + (f'{few:.2f} (<= {TARGETS["few_drop"]:g}: '
               f'{_mark(few <= TARGETS["few_drop"])})'
               if not math.isnan(few) else '– (no few-shot class)') +
            f'; {rep["calibration"].get("method", "minmax")} ranges; '
            f'calibration images per class {rep["calibration"]["per_class"]}'
        )
    lines.append('')
    for key, rep in reports.items():
        lines.append(f'- guard ({key}): {rep["guard_message"]}')
    return lines


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', default=osp.join(ROOT, 'docs',
                                                  'benchmarks.md'),
                        help='markdown file whose section is rewritten')
    parser.add_argument('--section', default='export')
    parser.add_argument('--title', default=DEFAULT_TITLE,
                        help='the section\'s heading')
    parser.add_argument('--work-dir', default=osp.join(
        ROOT, 'work_dirs', 'bench_export'))
    parser.add_argument('--calib-samples', type=int, default=256)
    parser.add_argument('--speed-repeats', type=int, default=20)
    parser.add_argument('--test-limit', type=int)
    args = parser.parse_args(argv)
    for path, what in ((args.config, 'config'),
                       (args.checkpoint, 'checkpoint')):
        if not osp.isfile(path):
            parser.error(f'{what} {path} does not exist')
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    reports = {}
    for fmt, strategy, method in RUNS:
        reports[run_key(fmt, strategy, method)] = run_export(
            args, fmt, strategy, method)
    first = reports['onnx']
    command = 'python -m benchmarks.bench_export ' + ' '.join(
        map(shlex.quote, sys.argv[1:] if argv is None else argv))
    body = [
        f'## {args.title}', '',
        f'Model: `{osp.relpath(args.config, ROOT)}`, checkpoint '
        f'`{osp.basename(args.checkpoint)}`; {first["num_test"]} test '
        f'images; ONNX opset {first["opset"]}; int8 is ONNX Runtime\'s '
        'static QDQ quantization (per-channel int8 weights, uint8 '
        f'activations) calibrated on {args.calib_samples} training images. '
        f'Speed on {first["threads"]} thread(s), the model only, median of '
        'repeated runs, the models timed in turn in each round; ratios are to '
        'fp32 PyTorch in the same process.', ''
    ] + render_section(reports) + [
        '', f'Machine: {machine_info(sys.executable)}. '
        f'Code: {git_provenance()}. Command: `{command}`'
    ]
    write_report(args.out, args.section, '\n'.join(body))
    print('\n'.join(body))
    print(f'section {args.section!r} written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
