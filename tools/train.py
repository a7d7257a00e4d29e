"""Train a model: ``python tools/train.py CONFIG [options]``.

Options as MMPretrain's tools/train.py; see ``--help``. With
``--launcher pytorch`` on a machine without CUDA, training runs on gloo.
"""
import find_venv  # noqa: F401  (this Python lacks the stack: use .venv)
import mmlt  # noqa: F401  (compat fixes and registration before configs)
from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from common_args import build_train_parser
from mmlt.apis import (close_distributed, merge_train_args,
                       prepare_cpu_distributed)


def main() -> None:
    args = build_train_parser().parse_args()
    cfg = merge_train_args(Config.fromfile(args.config), args)
    prepare_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)
    runner.train()
    close_distributed()


if __name__ == '__main__':
    main()
