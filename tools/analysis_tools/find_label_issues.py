"""Find images whose given label is probably wrong, ranked, with a contact
sheet and a CSV that ``GroupAnnotationDataset(label_issues=...)`` reads::

    # (a) confident learning (cleanlab) on the k-fold driver's
    #     out-of-fold probabilities
    python tools/analysis_tools/find_label_issues.py oof \
        WORK_DIR/oof_predictions.npz [--config CONFIG] [--image-root DIR] \
        [--rank-by self_confidence] [--filter-by prune_by_noise_rate] \
        [--out-dir DIR] [--top 25]

    # (b) per-image loss of one checkpoint on a split; outliers by a robust
    #     z-score within each given class
    python tools/analysis_tools/find_label_issues.py checkpoint \
        CONFIG CHECKPOINT [--split train|val|test] [--threshold 3.5] \
        [--min-count 5] [--batch-size N] [--train-pipeline] \
        [--out-dir DIR] [--top 25] [--cfg-options key=value ...]

Writes ``OUT_DIR/label_issues.csv`` (every issue, best suspect first),
``label_issues.md`` (the top-N table, also printed) and
``label_issues.png`` (contact sheet of the top N). Mode (a) needs the
``noise`` extra: ``pip install 'mmlt[noise]'``. Logic:
:mod:`mmlt.analysis.label_issues`, :mod:`mmlt.analysis.label_issue_scoring`
and :mod:`mmlt.analysis.contact_sheet`.
"""
import argparse
import json
import os.path as osp
import sys
from typing import Any, Dict, List, Optional, Sequence

import mmlt  # noqa: F401  (compat fixes and registration before configs)
from mmlt.analysis import label_issues as li
from mmlt.analysis.contact_sheet import (dataset_image_loader,
                                         file_image_loader,
                                         save_contact_sheet)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Rank suspected label errors from out-of-fold '
        'probabilities (cleanlab) or from one checkpoint\'s per-image loss')
    sub = parser.add_subparsers(dest='mode', required=True)

    oof = sub.add_parser('oof', help='confident learning on out-of-fold '
                         'probabilities (needs cleanlab)')
    oof.add_argument('oof', help='oof_predictions.npz of the k-fold driver')
    oof.add_argument('--config', help='the training config: images for the '
                     'contact sheet come from its training dataset by index '
                     '(in-memory datasets included)')
    oof.add_argument('--image-root', help='folder the file names are '
                     'relative to (without --config; default: as written)')
    oof.add_argument('--rank-by', choices=li.RANK_BY,
                     default='self_confidence',
                     help="cleanlab's label-quality score used for ranking")
    oof.add_argument('--filter-by', choices=li.FILTER_BY,
                     default='prune_by_noise_rate',
                     help="cleanlab's find_label_issues filter")

    ckpt = sub.add_parser('checkpoint', help='per-image loss of a '
                          'checkpoint, outliers by robust z within a class')
    ckpt.add_argument('config', help='the config the checkpoint was '
                      'trained with')
    ckpt.add_argument('checkpoint', help='the checkpoint')
    ckpt.add_argument('--split', choices=['train', 'val', 'test'],
                      default='train', help='dataloader to score')
    ckpt.add_argument('--threshold', type=float,
                      default=li.DEFAULT_Z_THRESHOLD,
                      help='robust z above which an image is flagged '
                      '(Iglewicz & Hoaglin: 3.5)')
    ckpt.add_argument('--min-count', type=int, default=5,
                      help='classes with fewer images are not scored')
    ckpt.add_argument('--batch-size', type=int,
                      help="default: the dataloader's")
    ckpt.add_argument('--train-pipeline', action='store_true',
                      help='score the train split with its own pipeline '
                      '(default: the test pipeline, no random '
                      'augmentation)')
    ckpt.add_argument('--device', help='default: cuda if available')
    ckpt.add_argument('--cfg-options', nargs='+', action=_dict_action(),
                      help='override settings of the config, key=value')
    for p in (oof, ckpt):
        p.add_argument('--out-dir', help='default: label_issues/ next to '
                       'the input file (label_issues_<split>/ for a '
                       'checkpoint)')
        p.add_argument('--top', type=int, default=25,
                       help='rows in the printed table and the contact '
                       'sheet')
    return parser


def _dict_action() -> Any:
    from mmengine.config import DictAction
    return DictAction


def _load_config(path: str, options: Optional[dict] = None) -> Any:
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    if options:
        cfg.merge_from_dict(options)
    return cfg


def _train_dataset(cfg: Any) -> Any:
    from mmengine.registry import init_default_scope

    from mmlt.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return DATASETS.build(cfg.train_dataloader.dataset)


def run_oof(args: argparse.Namespace) -> Dict[str, Any]:
    try:
        li.import_cleanlab()
    except ImportError as e:
        sys.exit(f'find_label_issues.py oof: {e}')
    oof = li.load_oof_predictions(args.oof)
    rows, summary = li.oof_label_issues(oof, args.rank_by, args.filter_by)
    if args.config:
        loader = dataset_image_loader(_train_dataset(
            _load_config(args.config)))
    else:
        loader = file_image_loader(args.image_root)
    out_dir = args.out_dir or osp.join(osp.dirname(osp.abspath(args.oof)),
                                       'label_issues')
    lines = [
        f'{summary["num_images"]} images in {args.oof}; '
        f'{summary["num_validated"]} validated by a fold',
    ]
    if summary['num_unvalidated']:
        lines.append(
            f'left out: {summary["num_unvalidated"]} images no fold '
            f'validated (fold -1; given classes: '
            f'{summary["unvalidated_classes"]}): they are not analysed')
    lines.append(f'{summary["num_issues"]} label issues (cleanlab '
                 f'find_label_issues, filter_by={args.filter_by}, ranked by '
                 f'{args.rank_by})')
    return _write(rows, summary, loader, out_dir, args.top, 'label_quality',
                  lines, 'cleanlab on out-of-fold probabilities')


def run_checkpoint(args: argparse.Namespace) -> Dict[str, Any]:
    from mmlt.analysis.label_issue_scoring import score_checkpoint
    cfg = _load_config(args.config, args.cfg_options)
    scores, dataset = score_checkpoint(cfg, args.checkpoint, args.split,
                                       args.batch_size, args.device,
                                       not args.train_pipeline)
    rows, summary = li.loss_outlier_issues(
        scores.index, scores.filename, scores.gt_label,
        scores.self_confidence, scores.suggested_label, scores.group_id,
        scores.classes, args.threshold, args.min_count)
    out_dir = args.out_dir or osp.join(
        osp.dirname(osp.abspath(args.checkpoint)),
        f'label_issues_{args.split}')
    lines = [f'{summary["num_images"]} images of the {args.split} split '
             f'scored with {args.checkpoint}']
    if summary['unscored_classes']:
        lines.append(f'not scored: classes with fewer than '
                     f'{args.min_count} images '
                     f'{summary["unscored_classes"]}')
    lines.append(f'{summary["num_issues"]} outliers (loss = -log p(given); '
                 f'robust z within the given class > {args.threshold})')
    return _write(rows, summary, dataset_image_loader(dataset), out_dir,
                  args.top, 'robust_z', lines,
                  f'per-image loss outliers ({args.split} split)')


def _write(rows: List[dict], summary: Dict[str, Any], loader: Any,
           out_dir: str, top: int, score: str, lines: Sequence[str],
           title: str) -> Dict[str, Any]:
    csv_path = li.write_issue_csv(rows, osp.join(out_dir,
                                                 'label_issues.csv'))
    png_path = osp.join(out_dir, 'label_issues.png')
    unreadable = save_contact_sheet(rows, loader, png_path, top=top,
                                    score=score, title=title)
    table = li.markdown_table(rows, top, score)
    with open(osp.join(out_dir, 'label_issues.md'), 'w') as f:
        f.write(f'# Label issues: {title}\n\n' + '\n'.join(lines) +
                f'\n\n{table}\n')
    print('\n'.join(lines))
    print(f'\ntop {min(top, len(rows))} of {len(rows)}:\n{table}\n')
    if unreadable:
        print(f'WARNING: {unreadable} of the top {min(top, len(rows))} '
              'images could not be read for the contact sheet (pass '
              '--config or --image-root)', file=sys.stderr)
    print(f'wrote {csv_path}, {png_path} and label_issues.md\n'
          'to train without them (or with the suggested labels), set on a '
          'GroupAnnotationDataset:\n'
          f"  label_issues=dict(file='{csv_path}', action='exclude', "
          "top=None)   # or action='relabel'")
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(dict(summary, unreadable_images=unreadable), f, indent=1)
    return dict(summary, csv=csv_path, png=png_path, rows=rows)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    args = build_parser().parse_args(argv)
    if args.top < 1:
        sys.exit(f'--top {args.top} must be a positive integer')
    return run_oof(args) if args.mode == 'oof' else run_checkpoint(args)


if __name__ == '__main__':
    main()
