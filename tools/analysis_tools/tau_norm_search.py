"""Pick τ of a τ-normalised classifier (Kang et al., ICLR 2020) on a
validation split::

    python tools/analysis_tools/tau_norm_search.py CONFIG CHECKPOINT \
        [--taus 0 0.1 ... 2.0] [--split val|test] \
        [--metric balanced_accuracy|top1] [--save-checkpoint OUT.pth] \
        [--out result.json] [--cfg-options key=value ...]

The features of the split are computed once; every τ rescales the
classifier rows to ``w_c / ||w_c||^τ`` (no bias) and is scored (top-1,
balanced accuracy, many/medium/few-shot). The best τ is printed as
``--cfg-options model.head.tau_norm=τ`` for tools/test.py, and
``--save-checkpoint`` writes a checkpoint whose classifier is already
τ-normalised. Logic: :mod:`mmlt.apis.tau_norm_search`.
"""
import argparse
import json
import math
import sys
from typing import Optional, Sequence

import mmlt  # noqa: F401  (compat fixes and registration before configs)
from mmengine.config import Config, DictAction

from mmlt.apis.tau_norm_search import (format_table, tau_norm_checkpoint,
                                       tau_norm_search)
from mmlt.models.heads.tau_norm import DEFAULT_TAUS


def build_tau_search_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Pick τ of a τ-normalised classifier (Kang et al., '
        'ICLR 2020) on the config\'s validation split')
    parser.add_argument('config', help='the stage-1 config')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument(
        '--taus', type=float, nargs='+', default=list(DEFAULT_TAUS),
        help='τ values to score (default 0, 0.1, ..., 2.0 as the authors\' '
        'sweep)')
    parser.add_argument(
        '--split', choices=['val', 'test'], default='val',
        help='dataloader to score on (default val: tune τ on a split that '
        'is not the test set)')
    parser.add_argument(
        '--metric', choices=['balanced_accuracy', 'top1'],
        default='balanced_accuracy', help='what the best τ maximises')
    parser.add_argument(
        '--save-checkpoint', metavar='OUT',
        help='write the checkpoint with the τ-normalised classifier (bias '
        '0), usable with the unmodified config')
    parser.add_argument('--out', help='write the table and choice as JSON')
    parser.add_argument('--device', help='default: cuda if available')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, key=value')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = build_tau_search_parser().parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    result = tau_norm_search(cfg, args.checkpoint, args.taus, args.split,
                             args.metric, args.device)
    best = result['best']
    if result['val_is_test'] and args.split == 'val':
        print('WARNING: this config validates on its test set, so τ is '
              'tuned on the test set and its test accuracy is optimistic. '
              'Use a config with a held-out validation split (e.g. '
              'configs/two_stage/tau-norm_*.py).', file=sys.stderr)
    print(f'τ-normalisation on the {args.split} split '
          f'({result["num_samples"]} images), best by {args.metric}:')
    print(format_table(result['rows'], best))
    print(f'\nbest tau = {best["tau"]:g}: test with\n  --cfg-options '
          f'model.head.tau_norm={best["tau"]:g}')
    if args.save_checkpoint:
        tau_norm_checkpoint(args.checkpoint, args.save_checkpoint,
                            best['tau'], result['head_fc'])
        print(f'or test {args.save_checkpoint} (τ-normalised classifier, '
              'bias 0) with the unmodified config')
    if args.out:
        rows = [{k: None if isinstance(v, float) and math.isnan(v) else v
                 for k, v in row.items()} for row in result['rows']]
        with open(args.out, 'w') as f:
            json.dump(
                dict(rows=rows, best_tau=best['tau'],
                     metric=args.metric, split=args.split,
                     num_samples=result['num_samples']), f, indent=1)
    return result


if __name__ == '__main__':
    main()
