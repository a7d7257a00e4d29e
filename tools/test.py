"""Test a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

Options as MMPretrain's tools/test.py (``--out``, ``--out-item``, ``--tta``,
``--work-dir``, ``--cfg-options``, ``--launcher``); see ``--help``.
"""
import find_venv  # noqa: F401  (this Python lacks the stack: use .venv)
import mmlt  # noqa: F401  (compat fixes and registration before configs)
import mmengine
from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from mmengine.evaluator import DumpResults

from common_args import build_test_parser
from mmlt.apis import (close_distributed, merge_test_args,
                       prepare_cpu_distributed)


def main() -> None:
    args = build_test_parser().parse_args()
    if args.out is None and args.out_item is not None:
        raise ValueError('--out-item needs --out')
    cfg = merge_test_args(Config.fromfile(args.config), args)
    prepare_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)
    if args.out and args.out_item in ('pred', None):
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)
    close_distributed()


if __name__ == '__main__':
    main()
