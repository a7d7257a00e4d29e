"""Export a trained mmlt classifier to ONNX (fp32), int8 or fp16 (CUDA),
with its preprocessing as JSON, and report what the export costs.

    python tools/deployment/export.py CONFIG CHECKPOINT --format onnx|int8|fp16
        [--out DIR] [--calib-samples N] [--calib-strategy class_balanced|instance]
        [--max-few-shot-drop POINTS] [--test-limit N] [--speed-repeats N]

Writes into DIR (default ``work_dirs/export/<config name>``): model.onnx,
model_int8.onnx (int8), model_fp16.onnx (fp16), preprocess.json,
report.md and report.json. The report (also printed) compares fp32
PyTorch with every exported model on the config's test set: top-1,
balanced accuracy, many/medium/few-shot, per group, worst class, size,
latency at batch 1 and throughput at batch 64 on this machine. Exits with
status 1 when the exported model's few-shot accuracy drops by more than
``--max-few-shot-drop`` points (default 2) *and* beyond the noise (the
paired, class-stratified bootstrap 95% interval of the change excludes
0), naming the classes that lost most; 2 for bad arguments. Logic:
:mod:`mmlt.deploy`.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction


def parse_args(argv=None):
    from mmlt.deploy.export_run import ExportOptions, FORMATS
    from mmlt.deploy.calibration import CALIB_STRATEGIES
    from mmlt.deploy.quantize import CALIB_METHODS
    default = ExportOptions()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--format', required=True, choices=FORMATS,
                        dest='fmt')
    parser.add_argument('--out', help='output folder')
    parser.add_argument('--calib-samples', type=int,
                        default=default.calib_samples,
                        help='training images that calibrate int8')
    parser.add_argument('--calib-strategy', choices=CALIB_STRATEGIES,
                        default=default.calib_strategy,
                        help='how calibration images are drawn')
    parser.add_argument('--calib-method', choices=sorted(CALIB_METHODS),
                        default=default.calib_method,
                        help='how int8 activation ranges come from them')
    parser.add_argument('--max-few-shot-drop', type=float,
                        default=default.max_few_shot_drop,
                        help='allowed few-shot accuracy drop (points); '
                        'the export fails only beyond it and beyond the '
                        'noise (paired bootstrap interval below 0)')
    parser.add_argument('--test-limit', type=int,
                        help='evaluate on the first N test images only')
    parser.add_argument('--speed-repeats', type=int,
                        default=default.speed_repeats,
                        help='timed runs per measurement (median)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    import mmlt  # noqa: F401  (registers mmlt's modules)
    from mmlt.deploy.export_run import ExportOptions, export_and_evaluate
    from mmlt.deploy.report import format_report, write_report_files
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise SystemExit(f'error: config {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    out = args.out or osp.join(
        'work_dirs', 'export', osp.splitext(osp.basename(args.config))[0])
    options = ExportOptions(
        fmt=args.fmt,
        calib_samples=args.calib_samples,
        calib_strategy=args.calib_strategy,
        calib_method=args.calib_method,
        max_few_shot_drop=args.max_few_shot_drop,
        test_limit=args.test_limit,
        speed_repeats=args.speed_repeats)
    try:
        result = export_and_evaluate(cfg, args.checkpoint, out, options)
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    markdown = format_report(result, f'Export of {osp.basename(args.config)}'
                             f' ({args.fmt})')
    paths = write_report_files(result, markdown)
    print(markdown)
    print(f'report written to {paths["markdown"]} and {paths["json"]}')
    if not result.guard.passed:
        print('error: ' + result.guard.message(result.guarded),
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
