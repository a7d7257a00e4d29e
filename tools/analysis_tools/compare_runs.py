"""Compare runs in one table, from what their work dirs already hold::

    python tools/analysis_tools/compare_runs.py WORK_DIR [WORK_DIR ...] \
        [--names A B ...] [--out-dir DIR] [--max-settings 12]

Prints (and writes to ``DIR/runs.md`` and ``DIR/runs.csv``) one row per run:
top-1, balanced accuracy, many/medium/few-shot, macro-F1, worst class,
per-group accuracy, seconds per epoch, peak memory (GPU runs; MMEngine logs
none on CPU), where the metrics come from, and the config settings that
differ between the runs. Plots: ``DIR/accuracy_vs_count.png`` (per-class
recall against training count, every run) and ``DIR/training_curves.png``.
Logic: :mod:`mmlt.analysis.run_comparison`.
"""
import argparse
import os.path as osp
import sys

import mmlt  # noqa: F401  (compat fixes before configs are read)
from mmlt.analysis.run_comparison import (accuracy_vs_count_runs_figure,
                                          comparison_rows, format_markdown,
                                          load_run, training_curves_figure,
                                          write_csv)
from mmlt.visualization.plots import _save


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('::')[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs of the runs')
    parser.add_argument('--names', nargs='+',
                        help='a name per run (default: the folder names)')
    parser.add_argument('--out-dir', default='work_dirs/compare_runs',
                        help='where the table and the plots go')
    parser.add_argument('--max-settings', type=int, default=12,
                        help='at most this many differing settings shown')
    args = parser.parse_args(argv)
    if args.names is not None and len(args.names) != len(args.work_dirs):
        parser.error(f'--names has {len(args.names)} names for '
                     f'{len(args.work_dirs)} work dirs')
    if args.max_settings < 0:
        parser.error(f'--max-settings={args.max_settings} must be >= 0')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    names = args.names or [None] * len(args.work_dirs)
    records = [load_run(d, n) for d, n in zip(args.work_dirs, names)]
    header, rows = comparison_rows(records, args.max_settings)
    table = format_markdown(header, rows)
    print(table)
    with open(osp.join(_out(args.out_dir), 'runs.md'), 'w') as f:
        f.write(table)
    write_csv(header, rows, osp.join(args.out_dir, 'runs.csv'))
    _save(accuracy_vs_count_runs_figure(records),
          osp.join(args.out_dir, 'accuracy_vs_count.png'))
    _save(training_curves_figure(records),
          osp.join(args.out_dir, 'training_curves.png'))
    print(f'Wrote runs.md, runs.csv, accuracy_vs_count.png and '
          f'training_curves.png to {args.out_dir}')
    return 0


def _out(path: str) -> str:
    import os
    os.makedirs(path, exist_ok=True)
    return path


if __name__ == '__main__':
    sys.exit(main())
