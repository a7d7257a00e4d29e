"""Stratified k-fold training:
``python tools/kfold_train.py CONFIG [options]``.

Trains every fold in WORK_DIR/fold_k (a finished fold is skipped, an
interrupted one resumed), then writes kfold_metrics.{md,csv},
oof_predictions.{npz,csv} and ensemble_config.py to WORK_DIR; see
``--help`` and :mod:`mmlt.apis.kfold`. With ``--launcher pytorch`` on a
machine without CUDA, the folds train on gloo.
"""
import find_venv  # noqa: F401  (this Python lacks the stack: use .venv)
import mmlt  # noqa: F401  (compat fixes and registration before configs)
from mmengine.config import Config

from common_args import build_kfold_parser
from mmlt.apis import close_distributed, kfold_train, merge_train_args


def main() -> None:
    args = build_kfold_parser().parse_args()
    cfg = merge_train_args(Config.fromfile(args.config), args)
    kfold_train(
        cfg,
        num_splits=args.num_splits,
        max_splits=args.max_splits,
        stratify=args.stratify,
        seed=args.seed,
        launcher=args.launcher)
    close_distributed()


if __name__ == '__main__':
    main()
