"""Write a balanced copy of an annotation file.

    python tools/dataset/balance_annotations.py IN OUT [--by class|group|class_group]
        [--target max|min|median|mean|N] [--mode over|under|both] [--seed 0]
        [--classes classes.txt] [--dropped dropped.csv]

Rare keys are over-sampled (rows repeated) up to the target, frequent ones
under-sampled (rows dropped) down to it. A before/after table is printed;
every dropped row is written to the --dropped file (default: OUT with
".dropped.csv") and counted on screen. IN and OUT are .csv, .json or .txt.
"""
import argparse
import os.path as osp

import mmengine

from mmlt.datasets.annotation_parsers import parse_annotation_file
from mmlt.datasets.annotation_writers import write_annotation_file
from mmlt.datasets.offline_balance import (balance_count_table,
                                           balance_indices)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file')
    parser.add_argument('out_file')
    parser.add_argument('--by', choices=['class', 'group', 'class_group'],
                        default='class')
    parser.add_argument('--target', default='max')
    parser.add_argument('--mode', choices=['over', 'under', 'both'],
                        default='over')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--classes', help='class names, one per line')
    parser.add_argument('--dropped', help='where to list dropped rows')
    return parser.parse_args()


def main():
    args = parse_args()
    classes = mmengine.list_from_file(args.classes) if args.classes else None
    rows, meta = parse_annotation_file(args.ann_file, classes)
    classes = classes or meta.get('classes')
    key_of = dict(
        **{'class': lambda r: r['gt_label'],
           'group': lambda r: r['group_id'],
           'class_group': lambda r: (r['gt_label'], r['group_id'])})[args.by]
    keys = [key_of(r) for r in rows]
    out_idx, dropped, target = balance_indices(keys, args.target, args.mode,
                                               args.seed)
    out_rows = [rows[i] for i in out_idx]
    write_annotation_file(out_rows, args.out_file, classes)
    names = None
    if args.by == 'class' and classes is not None:
        names = {str(i): f'{i} ({c})' for i, c in enumerate(classes)}
    print(f'Balanced by {args.by} to {target} rows each ({args.mode}):')
    print(balance_count_table(keys, [keys[i] for i in out_idx], names))
    print(f'Wrote {len(out_rows)} rows to {args.out_file}')
    if len(dropped):
        dropped_file = args.dropped or osp.splitext(
            args.out_file)[0] + '.dropped.csv'
        write_annotation_file([rows[i] for i in dropped], dropped_file,
                              classes, ann_format='csv')
        print(f'Dropped {len(dropped)} rows; all listed in {dropped_file}')
        for i in dropped[:10]:
            print(f'  dropped {rows[i]["source"]}: {rows[i]["img_path"]}')
        if len(dropped) > 10:
            print(f'  ... and {len(dropped) - 10} more')
    else:
        print('Dropped no row.')


if __name__ == '__main__':
    main()
