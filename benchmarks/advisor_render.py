"""The ``advisor-check`` section's text, from its kept records (one per
seed: :func:`benchmarks.advisor_measure.seed_record`) and the
``finetune`` protocol's row records; written by
:mod:`benchmarks.advisor_check`, the command, and imported by nothing
else. Every figure comes from those records: mean ± sample std over the
seeds that have one, compared by the page's noise rule
(:mod:`benchmarks.noise`).
"""
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

from benchmarks.common import git_provenance
from benchmarks.lt_logs import mean_std, run_stamp_of
from benchmarks.lt_results import Results
from benchmarks.noise import (difference, difference_cell, exceeds_noise,
                              gain_verdict, noise_verdict)

Records = Dict[int, Optional[Dict[str, Any]]]

# the advisor's candidates that are also rows of finetune-methods, and the
# rows it does not run (retrained classifiers)
ROW_OF = {'logit_adjust': 'ce-posthoc-la', 'tau_norm': 'tau-norm'}
RETRAINED = ('crt', 'lws')
BASE_ROW = 'ce'
ROW_SEEDS = 3
PROFILE_NAMES = dict(train='training profile (IR 100)', uniform='uniform',
                     reversed='reversed long tail (IR 100)')
_KEY = 'long_tail/{}'


def _signed(values: Sequence[float]) -> str:
    """``+1.23 ± 0.45`` (the std with two or more values)."""
    mean, std, n = mean_std(values)
    if n == 0:
        return 'n/a'
    return f'{mean:+.2f}' + (f' ± {std:.2f}' if n > 1 else '')


def _plain(values: Sequence[float], digits: int = 2) -> str:
    mean, std, n = mean_std(values)
    if n == 0:
        return 'n/a'
    return f'{mean:.{digits}f}' + (f' ± {std:.{digits}f}' if n > 1 else '')


def _interval(changes: Sequence[dict]) -> str:
    """The mean over seeds of the intervals' ends (``[-0.10, +1.20]``)."""
    ends = [(c['low'], c['high']) for c in changes
            if c.get('low') is not None and c.get('high') is not None]
    if not ends:
        return '(no interval)'
    low = sum(e[0] for e in ends) / len(ends)
    high = sum(e[1] for e in ends) / len(ends)
    return f'[{low:+.2f}, {high:+.2f}]'


def _inside(predicted: dict, measured: dict) -> Optional[bool]:
    if predicted.get('low') is None or measured.get('delta') is None:
        return None
    return predicted['low'] <= measured['delta'] <= predicted['high']


def _entries(records: Records, key: str) -> List[Tuple[int, dict, dict]]:
    """``(seed, record, candidate entry)`` of candidate ``key`` in every
    kept record where it was measured."""
    out = []
    for seed, rec in sorted(records.items()):
        for entry in (rec or {}).get('candidates', []):
            if entry['key'] == key and 'measured' in entry:
                out.append((seed, rec, entry))
    return out


def _candidate_keys(records: Records) -> List[Tuple[str, str]]:
    keys: Dict[str, str] = {}
    for rec in records.values():
        for entry in (rec or {}).get('candidates', []):
            if 'measured' in entry and not entry.get('calibration_only'):
                keys.setdefault(entry['key'], entry['name'])
    return list(keys.items())


def _row_values(rows: Results, row: str, metric: str) -> List[float]:
    return [r['metrics'][_KEY.format(metric)]
            for _, r in sorted(rows.get(row, {}).items())]


def _row_change(rows: Results, row: str) -> str:
    """The row's test change against ``ce`` from the records (balanced /
    few-shot), or why there is none."""
    if min(len(rows.get(r, {})) for r in (BASE_ROW, row)) < ROW_SEEDS:
        return f'not run yet (needs {ROW_SEEDS} seeds of it and of ce)'
    parts = []
    for metric in ('balanced_accuracy', 'few_shot'):
        parts.append(difference_cell(_row_values(rows, BASE_ROW, metric),
                                     _row_values(rows, row, metric)))
    return ' / '.join(parts)


def _main_table(records: Records, rows: Results) -> List[str]:
    lines = [
        '| fix | deployed parameters (per seed) | predicted Δ balanced, '
        'validation [95% interval] | measured Δ balanced, test | measured '
        'inside the interval | predicted Δ few-shot [95% interval] | '
        'measured Δ few-shot | benchmark row: Δ balanced / few-shot on test '
        '(3 seeds) |',
        '|---|---|---:|---:|---:|---:|---:|---|']
    for key, name in _candidate_keys(records):
        found = _entries(records, key)
        pred = [e['predicted'] for _, _, e in found]
        meas = [e['measured'] for _, _, e in found]
        inside = [_inside(p['balanced_accuracy'], m['balanced_accuracy'])
                  for p, m in zip(pred, meas)]
        row = ROW_OF.get(key)
        lines.append(
            f'| {name} | '
            + '; '.join(e['params_text'] for _, _, e in found) + ' | '
            + _signed([p['balanced_accuracy']['delta'] for p in pred]) + ' '
            + _interval([p['balanced_accuracy'] for p in pred]) + ' | '
            + _signed([m['balanced_accuracy']['delta'] for m in meas])
            + f' | {sum(bool(i) for i in inside)}/{len(inside)} seeds | '
            + _signed([p['few_shot']['delta'] for p in pred]) + ' '
            + _interval([p['few_shot'] for p in pred]) + ' | '
            + _signed([m['few_shot']['delta'] for m in meas]) + ' | '
            + (f'{row}: {_row_change(rows, row)}' if row else
               'no such row') + ' |')
    for row in RETRAINED:
        lines.append(f'| {row} (retrained classifier) | not run by the '
                     'advisor | | | | | | '
                     f'{row}: {_row_change(rows, row)} |')
    return lines


def _seed_table(records: Records) -> List[str]:
    lines = ['| seed | fix | deployed | predicted Δ balanced [interval] '
             '(verdict) | measured Δ balanced [test interval] | inside | '
             'predicted Δ few-shot [interval] | measured Δ few-shot |',
             '|---:|---|---|---|---|---|---|---|']
    for key, name in _candidate_keys(records):
        for seed, rec, e in _entries(records, key):
            p, m = e['predicted'], e['measured']
            pick = ' (**pick**)' if rec.get('recommended') == key else ''
            inside = _inside(p['balanced_accuracy'], m['balanced_accuracy'])
            lines.append(
                f'| {seed} | {name}{pick} | {e["params_text"]} | '
                f'{_change(p["balanced_accuracy"])} '
                f'({p["balanced_accuracy"]["verdict"]}) | '
                f'{_change(m["balanced_accuracy"])} | '
                f'{"-" if inside is None else "yes" if inside else "no"} | '
                f'{_change(p["few_shot"])} | {_change(m["few_shot"])} |')
    return lines


def _change(c: dict) -> str:
    if c.get('delta') is None:
        return '-'
    if c.get('low') is None:
        return f'{c["delta"]:+.2f}'
    return f'{c["delta"]:+.2f} [{c["low"]:+.2f}, {c["high"]:+.2f}]'


def _pick_lines(records: Records, rows: Results) -> List[str]:
    """The advisor's pick against the best fix on test, by the noise
    rule."""
    kept = {s: r for s, r in sorted(records.items()) if r}
    options: Dict[str, List[float]] = {
        'the model as it is': [r['base']['test']['balanced_accuracy']
                               for r in kept.values()]}
    names = dict(_candidate_keys(records))
    for key, name in names.items():
        options[f'{name} (advisor\'s parameters)'] = [
            rec['base']['test']['balanced_accuracy']
            + e['measured']['balanced_accuracy']['delta']
            for _, rec, e in _entries(records, key)]
    for row in list(ROW_OF.values()) + list(RETRAINED):
        if len(rows.get(row, {})) >= ROW_SEEDS:
            options[f'row {row}'] = _row_values(rows, row,
                                                'balanced_accuracy')
    picks, values = [], []
    for seed, rec in kept.items():
        key = rec.get('recommended')
        picks.append(f'seed {seed}: ' + (names.get(key, key) if key else
                                         'none (keep the model)'))
        delta = 0.0
        for e in rec['candidates']:
            if key and e['key'] == key:
                delta = e['measured']['balanced_accuracy']['delta']
        values.append(rec['base']['test']['balanced_accuracy'] + delta)
    best = max(options, key=lambda k: mean_std(options[k])[0])
    delta, pooled = difference(options[best], values)
    beyond = exceeds_noise(delta, pooled)
    verdict = noise_verdict(beyond)
    return [
        '- The advisor\'s pick (the largest balanced-accuracy gain whose '
        'interval lies above 0): ' + '; '.join(picks) + '.',
        f'- Best on test by mean balanced accuracy: {best}, '
        f'{_plain(options[best])}; the pick, {_plain(values)}; pick − best '
        f'{delta:+.2f} points (pooled std '
        + ('n/a' if math.isnan(pooled) else f'{pooled:.2f}')
        + f'): **{verdict}**'
        + ('' if beyond is None else
           ' (the pick is within the noise of the best)' if not beyond else
           ' (the pick is beyond the noise below the best)') + '.',
        '- Compared on test (balanced accuracy, mean over seeds): '
        + ', '.join(f'{k} {_plain(v)}' for k, v in options.items()) + '.']


def _calibration_lines(records: Records) -> List[str]:
    found = [(s, r['calibration']) for s, r in sorted(records.items())
             if r and r.get('calibration')]
    if not found:
        return []
    temps = '; '.join(e['params_text'] for _, _, e in
                      _entries(records, 'temperature'))
    pred = [c['predicted'] for _, c in found]
    meas = [c['measured'] for _, c in found]
    inside = [_inside(p['change'], m['change']) for p, m in zip(pred, meas)]
    return [
        f'- Temperature scaling ({temps}; accuracy unchanged): ECE '
        f'{_plain([p["before"] for p in pred])} → '
        f'{_plain([p["after"] for p in pred])} points predicted on '
        'validation (change '
        + _signed([p['change']['delta'] for p in pred]) + ' '
        + _interval([p['change'] for p in pred]) + '), '
        f'{_plain([m["before"] for m in meas])} → '
        f'{_plain([m["after"] for m in meas])} measured on test (change '
        + _signed([m['change']['delta'] for m in meas]) + '; inside the '
        f'predicted interval: {sum(bool(i) for i in inside)}/{len(inside)} '
        'seeds).']


def _prior_table(records: Records) -> List[str]:
    kept = [r for _, r in sorted(records.items()) if r]
    lines = ['| test re-sampled to | images | top-1 unadjusted | with the '
             'EM-estimated prior | with the true prior | estimated − '
             'unadjusted | EM estimate off the drawn mix (TV, points) | EM '
             'steps |', '|---|---:|---:|---:|---:|---|---:|---:|']
    for profile, label in PROFILE_NAMES.items():
        got = [r['prior_shift'][profile] for r in kept]
        if not got:
            continue
        un = [g['unadjusted'] for g in got]
        est = [g['estimated'] for g in got]
        delta, pooled = difference(un, est)
        lines.append(
            f'| {label} | '
            + '/'.join(sorted({str(g['images']) for g in got})) + ' | '
            + ' | '.join(_plain([g[k] for g in got])
                         for k in ('unadjusted', 'estimated', 'true'))
            + f' | {delta:+.2f}: {gain_verdict(delta, pooled)} | '
            + _plain([g['estimate_error'] for g in got]) + ' | '
            + _plain([g['em_steps'] for g in got], 0) + ' |')
    return lines


def _checks(records: Records, rows: Results) -> List[str]:
    """Each record against the ce row's record of its seed: the same
    training run, and its test logits reproducing the row's balanced
    accuracy."""
    out = []
    for seed, rec in sorted(records.items()):
        if not rec:
            continue
        row = rows.get(BASE_ROW, {}).get(seed)
        own = rec['base']['test']['balanced_accuracy']
        if row is None:
            out.append(f'seed {seed}: {own:.2f} (no ce record to compare)')
            continue
        kept = row['metrics'][_KEY.format('balanced_accuracy')]
        stamp = run_stamp_of(row['run_dir'])
        same = stamp == rec.get('run_stamp')
        out.append(f'seed {seed}: {own:.2f} against the row\'s {kept:.2f}'
                   + ('' if same else f' (**stale**: scored run '
                      f'{rec.get("run_stamp")}, the row\'s record is of '
                      f'run {stamp}; run the command again)'))
    return out


def render(records: Records, rows: Results, command: str) -> str:
    """The section body (module docstring)."""
    kept = {s: r for s, r in sorted(records.items()) if r}
    absent = [s for s, r in sorted(records.items()) if not r]
    lines = ['### The method advisor against the test set: predicted on '
             'validation, measured on test (fine-tuned EfficientNet-Lite0, '
             'cross-entropy)', '']
    lines.append('Seeds of the `ce` row scored: '
                 + (', '.join(str(s) for s in kept) or 'none')
                 + ('; not available (no checkpoint of that seed when this '
                    'was written, so no record): '
                    + ', '.join(str(s) for s in absent) if absent else '')
                 + '.')
    if not kept:
        return '\n'.join(lines + ['', f'- Command: `{command}`', ''])
    first = next(iter(kept.values()))
    opts = first['options']
    lines += [''] + _main_table(records, rows) + [
        '', 'Changes in points against the model as it is. Predicted: the '
        'advisor on the validation split alone '
        f'({first["images"]["val"]} images), each fix '
        f'cross-fitted over {opts["num_parts"]} class-stratified parts, '
        f'with its paired bootstrap {100 * opts["confidence"]:g}% interval '
        f'({opts["num_resamples"]} resamples; with several seeds the mean '
        'of their ends). Measured: the parameters the advisor deploys '
        '(tuned on all of validation) on the balanced test set '
        f'({first["images"]["test"]} images). Inside: seeds whose measured '
        'change lies in their own predicted interval. Benchmark row: the '
        'row\'s mean over seeds minus ce\'s, from the records, with the '
        'page\'s noise rule (ce-posthoc-la uses τ = 1, tau-norm the τ '
        'tau_norm_search picks on validation).', '',
        'Per seed:', ''] + _seed_table(records) + ['']
    lines += _pick_lines(records, rows) + _calibration_lines(records)
    lines += ['', '#### Shifted class priors: the test set re-sampled', '']
    lines += _prior_table(records) + [
        '', 'Top-1 accuracy (percent) of the ce model on the test set '
        're-sampled without replacement to each class mix '
        '(`resample_to_profile`, seeded by the model\'s seed), mean ± std '
        'over seeds. Estimated: the prior EM (Saerens et al. 2002) '
        'estimates from the re-sampled images\' own probabilities, no label '
        'read, added as log q − log π (as `advise.py --estimate-prior`); '
        'true: the profile\'s own prior. Estimated − unadjusted by the '
        'page\'s noise rule.', '',
        '- Test logits against the ce row\'s recorded balanced accuracy: '
        + '; '.join(_checks(records, rows)) + '.',
        f'- Config: `{first["config"]}`, checkpoints '
        + ', '.join(f'`{r["checkpoint"]}`' for r in kept.values()) + '.',
        '- Machine: ' + '; '.join(sorted({r['machine']
                                          for r in kept.values()})),
        f'- Code: {git_provenance()}', f'- Command: `{command}`', '']
    return '\n'.join(lines)
