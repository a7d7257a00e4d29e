"""Evaluate an exported model (ONNX Runtime) on a config's test set with
mmlt's LongTailMetric, as tools/test.py evaluates a checkpoint.

    python tools/deployment/test_exported.py CONFIG MODEL.onnx
        [--preprocess preprocess.json] [--limit N] [--work-dir DIR]

MODEL.onnx and preprocess.json come from tools/deployment/export.py. The
report (top-k, balanced accuracy, many/medium/few-shot, per group, per
class) is printed; with --work-dir, per_class.csv/json are written there.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('model', help='the exported .onnx file')
    parser.add_argument('--preprocess',
                        help='preprocess.json (default: beside the model)')
    parser.add_argument('--limit', type=int,
                        help='evaluate the first N test images only')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--work-dir', help='folder for per-class files')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    import mmlt  # noqa: F401  (registers mmlt's modules)
    from mmlt.deploy.evaluate_exported import evaluate_exported
    args = parse_args(argv)
    if not osp.isfile(args.config):
        print(f'error: config {args.config} does not exist', file=sys.stderr)
        return 2
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        metrics = evaluate_exported(cfg, args.model, args.preprocess,
                                    args.batch_size, args.limit,
                                    out_dir=args.work_dir)
    except (ValueError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    summary = {k: v for k, v in metrics.items() if not isinstance(v, list)}
    print(' '.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
                   for k, v in summary.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
