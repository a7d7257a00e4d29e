"""The export report: markdown for people, JSON for scripts."""
import json
import math
import os.path as osp
from dataclasses import asdict
from typing import Any, Dict, List

from .export_run import ExportResult

__all__ = ['format_report', 'report_dict', 'write_report_files']

_SHOTS = ('many_shot', 'medium_shot', 'few_shot')


def _pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '–'
    return f'{value:.2f}'


def _groups(metrics: Dict[str, Any]) -> str:
    keys = sorted(k for k in metrics
                  if k.startswith('group') and k.endswith('_accuracy')
                  and k != 'group_head_accuracy')
    return ', '.join(f'{k[5:-9]}: {metrics[k]:.1f}' for k in keys) or '–'


def _mb(size: Any) -> str:
    return '–' if size is None else f'{size / 2**20:.2f}'


def accuracy_table(result: ExportResult) -> List[str]:
    lines = [
        '| model | top-1 | balanced | many | medium | few | per group | '
        'worst class | top-1 agreement with PyTorch | max abs score diff |',
        '|---|---|---|---|---|---|---|---|---|---|'
    ]
    for name, row in result.rows.items():
        m = row['metrics']
        worst = m.get('worst_class')
        worst_name = result.classes[worst] if worst is not None and \
            worst < len(result.classes) else worst
        lines.append(
            f'| {name} | {_pct(m.get("top1"))} | '
            f'{_pct(m.get("balanced_accuracy"))} | ' +
            ' | '.join(_pct(m.get(k)) for k in _SHOTS) +
            f' | {_groups(m)} | {worst_name} '
            f'({_pct(m.get("worst_class_accuracy"))}) | '
            f'{row["agreement"]:.2f} | {row["max_abs_diff"]:.2e} |')
    return lines


def speed_table(result: ExportResult) -> List[str]:
    lines = [
        '| model | size (MB) | latency, batch 1 (ms) | vs PyTorch | '
        'throughput, batch 64 (img/s) | vs PyTorch |',
        '|---|---|---|---|---|---|'
    ]
    for name, row in result.rows.items():
        lines.append(
            f'| {name} | {_mb(row.get("size_bytes"))} | '
            f'{row["latency_ms"]:.2f} | {row["latency_ratio"]:.2f}x | '
            f'{row["throughput"]:.0f} | {row["throughput_ratio"]:.2f}x |')
    return lines


def format_report(result: ExportResult, title: str = 'Export report') -> str:
    """The markdown report of one export."""
    lines = [
        f'## {title}', '',
        f'Files in `{result.out_dir}`: ' + ', '.join(
            f'`{osp.basename(p)}`' for p in result.files.values()) +
        f'. ONNX opset {result.opset}, input `[N, '
        f'{", ".join(map(str, result.input_shape))}]` (dynamic N). '
        f'{result.num_test} test images; the exported models read them '
        'through `preprocess.json` (max abs difference from the test '
        f'pipeline\'s tensor: {result.preprocess_max_diff:.1e}).', ''
    ]
    if result.calibration:
        cal = result.calibration
        lines += [
            f'int8 calibration: {cal["images"]} training images drawn '
            f'`{cal["strategy"]}`; images per class: '
            f'{cal["per_class"]}.', ''
        ]
    lines += accuracy_table(result) + ['']
    lines += [
        f'Speed on this CPU, {result.threads} thread(s), the model only '
        '(preprocessing excluded), median of repeated runs in one process, '
        'the models timed in turn in each round:',
        ''
    ] + speed_table(result) + ['']
    if result.guard is not None:
        lines += ['Guard: ' + result.guard.message(result.guarded) + '.', '']
    lines += [f'Note: {n}.' for n in result.notes]
    return '\n'.join(lines).rstrip() + '\n'


def report_dict(result: ExportResult) -> Dict[str, Any]:
    """Everything measured, JSON-ready (per-class lists included)."""
    data = asdict(result)
    data['guard_message'] = (result.guard.message(result.guarded)
                             if result.guard else None)
    return data


def write_report_files(result: ExportResult, markdown: str) -> Dict[str, str]:
    """Write ``report.md`` and ``report.json`` into the output folder."""
    paths = dict(markdown=osp.join(result.out_dir, 'report.md'),
                 json=osp.join(result.out_dir, 'report.json'))
    with open(paths['markdown'], 'w') as f:
        f.write(markdown)
    with open(paths['json'], 'w') as f:
        json.dump(report_dict(result), f, indent=1, default=float)
        f.write('\n')
    return paths
