"""The ``advisor-group-lift`` section's text: the method advisor's
``--lift-group 1`` on the fine-tuned cross-entropy of the group-lift data,
predicted on validation against measured on test, from its kept records
(one per case and seed: :func:`benchmarks.advisor_measure.seed_record`
with ``lift_group``) and the ``finetune`` protocol's group-lift row
records; written by :mod:`benchmarks.advisor_check` (``--group-lift``) and
imported by nothing else. Every figure comes from those records: mean ±
sample std over the seeds that have one, compared by the page's noise rule
(:mod:`benchmarks.noise`).

The question it answers (issue 29): does the per-group bias the advisor
learns on validation lift group 1 on test, and what does it cost group 0?
"""
from typing import Any, Dict, List, Optional

from benchmarks.advisor_render import (_candidate_keys, _change, _entries,
                                       _inside, _interval, _plain, _signed)
from benchmarks.common import git_provenance
from benchmarks.lt_results import Results
from benchmarks.noise import difference, difference_cell, gain_verdict

Records = Dict[int, Optional[Dict[str, Any]]]

ROW_SEEDS = 3
# the group-lift rows trained to lift group 1 (finetune-group-lift-<case>),
# compared with the advisor's bias learned after training
TRAINED_ROWS = ('g1-weight2', 'plan-a', 'plan-b', 'plan-c')
CASE_NAMES = dict(
    degraded='group 1 degraded (30% of each class: contrast 0.4, blur, '
    'noise)', rare='group 1 rare (10% of each class, rotated by 90 degrees)')
_KEY = 'long_tail/{}'
_GROUP_ROW = 'long_tail/group{}_accuracy'


def _group(g: int) -> str:
    return f'group_{g}'


def _candidate_table(records: Records, lift: int) -> List[str]:
    other = 1 - lift
    lines = [
        f'| fix | deployed parameters (per seed) | predicted Δ group {lift}, '
        f'validation [95% interval] | measured Δ group {lift}, test | '
        f'inside | predicted Δ group {other} [interval] | measured Δ group '
        f'{other} | predicted Δ balanced [interval] | measured Δ balanced |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|']
    for key, name in _candidate_keys(records):
        found = _entries(records, key)
        pred = [e['predicted'] for _, _, e in found]
        meas = [e['measured'] for _, _, e in found]
        inside = [_inside(p[_group(lift)], m[_group(lift)])
                  for p, m in zip(pred, meas)]
        cells = [name, '; '.join(e['params_text'] for _, _, e in found)]
        for metric in (_group(lift), None, _group(other), 'balanced_accuracy'):
            if metric is None:
                cells.append(f'{sum(bool(i) for i in inside)}/{len(inside)}'
                             ' seeds')
                continue
            cells.append(_signed([p[metric]['delta'] for p in pred]) + ' '
                         + _interval([p[metric] for p in pred]))
            cells.append(_signed([m[metric]['delta'] for m in meas]))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def _seed_lines(records: Records, lift: int) -> List[str]:
    out = []
    for seed, rec in sorted(records.items()):
        if not rec:
            continue
        base = rec['base']['test']
        pick = rec.get('recommended')
        names = dict(_candidate_keys({seed: rec}))
        bias = [e for _, _, e in _entries({seed: rec}, 'group_bias')]
        extra = ''
        if bias:
            p, m = bias[0]['predicted'], bias[0]['measured']
            extra = (f'; per-group bias: group {lift} predicted '
                     f'{_change(p[_group(lift)])}, measured '
                     f'{_change(m[_group(lift)])}')
        out.append(
            f'seed {seed}: as it is, group 0 {base["group_0"]:.2f}, group 1 '
            f'{base["group_1"]:.2f}, balanced '
            f'{base["balanced_accuracy"]:.2f}; pick '
            + (names.get(pick, pick) if pick else 'none (keep the model)')
            + extra)
    return out


def _row_values(rows: Results, row: str, key: str) -> List[float]:
    return [r['metrics'][key] for _, r in sorted(rows.get(row, {}).items())
            if key in r['metrics']]


def _trained_rows(rows: Results, case: str, lift: int) -> List[str]:
    """The group-lift rows' change against ``ce-<case>`` on test (group
    ``lift``, the other group, balanced), from the row records."""
    base = f'ce-{case}'
    lines = [f'| row (trained) | Δ group {lift} | Δ group {1 - lift} | '
             'Δ balanced |', '|---|---|---|---|']
    for name in TRAINED_ROWS:
        row = f'{name}-{case}'
        if min(len(rows.get(r, {})) for r in (base, row)) < ROW_SEEDS:
            lines.append(f'| {row} | not run yet (needs {ROW_SEEDS} seeds '
                         f'of it and of {base}) | | |')
            continue
        cells = []
        for key in (_GROUP_ROW.format(lift), _GROUP_ROW.format(1 - lift),
                    _KEY.format('balanced_accuracy')):
            cells.append(difference_cell(_row_values(rows, base, key),
                                         _row_values(rows, row, key)))
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    return lines


def _verdict_lines(records: Records, lift: int) -> List[str]:
    """Group ``lift`` and the other group on test, the model as it is
    against the per-group bias, over seeds, by the noise rule."""
    found = _entries(records, 'group_bias')
    if not found:
        return []
    out = []
    for g in (lift, 1 - lift):
        before = [rec['base']['test'][_group(g)] for _, rec, _ in found]
        after = [rec['base']['test'][_group(g)]
                 + e['measured'][_group(g)]['delta'] for _, rec, e in found]
        delta, pooled = difference(before, after)
        out.append(f'group {g} {_plain(before)} → {_plain(after)} '
                   f'({delta:+.2f}: **{gain_verdict(delta, pooled)}**)')
    return ['- The per-group bias on test (the model as it is → with the '
            'bias the advisor deploys): ' + '; '.join(out) + '. It adds to '
            f'group {lift}\'s logits alone, so group {1 - lift}\'s '
            'predictions cannot change: its cost is the images of group '
            f'{lift} it moves to wrong classes, which the group {lift} '
            'figure already counts.']


def _case_lines(case: str, records: Records, rows: Results) -> List[str]:
    kept = {s: r for s, r in sorted(records.items()) if r}
    absent = [s for s, r in sorted(records.items()) if not r]
    lines = [f'#### {CASE_NAMES.get(case, case)}', '',
             f'Seeds of the `ce-{case}` row scored: '
             + (', '.join(str(s) for s in kept) or 'none')
             + ('; not available (no checkpoint of that seed when this was '
                'written, so no record): ' + ', '.join(str(s) for s in absent)
                if absent else '') + '.', '']
    if not kept:
        return lines + _trained_rows(rows, case, 1) + ['']
    first = next(iter(kept.values()))
    lift = int(first.get('lift_group', 1))
    lines += _candidate_table(kept, lift) + ['']
    lines += _verdict_lines(kept, lift)
    lines += ['- Per seed (test): ' + '; '.join(_seed_lines(kept, lift))
              + '.', '',
              'Against the rows trained to lift group '
              f'{lift} (finetune-group-lift-{case}, test, 3 seeds, mean '
              f'minus ce-{case}\'s by the page\'s noise rule):', '']
    lines += _trained_rows(rows, case, lift)
    lines += ['', f'- Config: `{first["config"]}` with data_root '
              f'`{first["data_root"]}`; checkpoints '
              + ', '.join(f'`{r["checkpoint"]}`' for r in kept.values())
              + '.', '']
    return lines


def render_group_lift(records: Dict[str, Records], rows: Results,
                      command: str) -> str:
    """The section body: one part per case of ``records`` (module
    docstring)."""
    lines = ['### The advisor\'s per-group bias on the group-lift data: '
             'predicted on validation, measured on test (fine-tuned '
             'EfficientNet-Lite0, cross-entropy)', '',
             '`advise.py CONFIG CHECKPOINT --lift-group 1` on each case\'s '
             'cross-entropy checkpoints: every fix cross-fitted on the '
             'validation split (each image once as group 0, once as group '
             '1), its predicted change of each group\'s accuracy with the '
             'paired bootstrap 95% interval (images resampled within each '
             'class; with several seeds the mean of their ends), against '
             'the change the parameters it deploys (tuned on all of '
             'validation) make on the test images (each twice, one per '
             'group). Changes in points against the model as it is; '
             'inside: seeds whose measured change lies in their own '
             'predicted interval. The per-group bias is learned on and '
             'added to group 1\'s images alone; the learned class bias to '
             'every image.', '']
    for case, recs in records.items():
        lines += _case_lines(case, recs, rows)
    machines = sorted({r['machine'] for recs in records.values()
                       for r in recs.values() if r})
    if machines:
        lines.append('- Machine: ' + '; '.join(machines))
    lines += [f'- Code: {git_provenance()}', f'- Command: `{command}`', '']
    return '\n'.join(lines)
