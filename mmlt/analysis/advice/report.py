"""The advisor's outputs: the table (printed and in ``advice.md``),
``advice.json``, the per-class change plot and the ready config of the
recommended candidate (the user's config plus the change, for
``tools/test.py``)."""
import json
import math
import os
import os.path as osp
from pprint import pformat
from typing import Any, Dict, List, Optional

import numpy as np

from mmlt.evaluation.paired_bootstrap import Change
from .advisor import Advice, CandidateResult

__all__ = ['metric_label', 'format_table', 'advice_markdown',
           'ready_config_text', 'write_advice', 'ADVICE_FILES']

ADVICE_FILES = dict(markdown='advice.md', json='advice.json',
                    plot='per_class_change.png', config='advised_config.py')
_LABELS = dict(
    balanced_accuracy='balanced accuracy', macro_f1='macro-F1',
    worst_class_f1='worst-class F1', top1='top-1', many_shot='many-shot',
    medium_shot='medium-shot', few_shot='few-shot',
    target_top1='top-1 at the target prior', ece='ECE',
    many_shot_ece='many-shot ECE', medium_shot_ece='medium-shot ECE',
    few_shot_ece='few-shot ECE')


def metric_label(name: str) -> str:
    """How the report names a metric (``group_1`` -> ``group 1``)."""
    if name.startswith('group_'):
        return f'group {name[6:]} accuracy'
    return _LABELS.get(name, name)


def _params_text(result: CandidateResult) -> str:
    cand = result.candidate
    if cand.skipped or result.params is None:
        return ''
    text = cand.describe(result.params)
    if cand.tuned and result.part_params and cand.key in ('logit_adjust',
                                                          'tau_norm'):
        text += ' (per part: ' + ', '.join(
            f'{p:g}' for p in result.part_params) + ')'
    elif cand.key == 'temperature' and result.part_params:
        text += ' (per part: ' + ', '.join(
            f'{p:.3g}' for p in result.part_params) + ')'
    return text


def _shown_changes(advice: Advice, result: CandidateResult):
    """The metrics a candidate's rows show (temperature scaling: only the
    selection metric; its calibration has its own table)."""
    for name, change in result.changes.items():
        if not result.candidate.calibration_only or \
                name == advice.selection_metric:
            yield name, change


def _rows(advice: Advice) -> List[List[str]]:
    rows = []
    for result in advice.results:
        cand = result.candidate
        if cand.skipped:
            rows.append([cand.name, 'not tried: ' + cand.skipped, '', ''])
            continue
        first = [cand.name + (' (recommended)'
                              if result is advice.recommended else ''),
                 _params_text(result)]
        for k, (name, change) in enumerate(_shown_changes(advice, result)):
            text = change.format() + (' (accuracy unchanged)'
                                      if cand.calibration_only else '')
            rows.append([first[k] if k < 2 else '', metric_label(name),
                         text, change.verdict])
        if len(rows) and rows[-1][0] == first[0] and first[1]:
            rows.append([first[1], '', '', ''])
    return rows


def format_table(advice: Advice) -> str:
    """The candidates' changes as a plain-text table (one line per
    candidate and metric; the second line of a candidate names its tuned
    parameters)."""
    head = ['candidate', 'metric', 'change, points [95% interval]',
            'verdict']
    rows = _rows(advice)
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    line = '  '.join(h.ljust(w) for h, w in zip(head, widths)).rstrip()
    out = [line, '-' * len(line)]
    for row in rows:
        out.append('  '.join(c.ljust(w) for c, w in zip(row,
                                                       widths)).rstrip())
    return '\n'.join(out)


def _markdown_table(advice: Advice) -> List[str]:
    lines = ['| candidate | tuned | metric | change (points) [95% interval] '
             '| verdict |', '|---|---|---|---|---|']
    for result in advice.results:
        cand = result.candidate
        if cand.skipped:
            lines.append(f'| {cand.name} | not tried: {cand.skipped} | | | |')
            continue
        label = cand.name + (' **(recommended)**'
                             if result is advice.recommended else '')
        for k, (name, change) in enumerate(_shown_changes(advice, result)):
            text = change.format() + (' (accuracy unchanged)'
                                      if cand.calibration_only else '')
            lines.append(f'| {label if k == 0 else ""} | '
                         f'{_params_text(result) if k == 0 else ""} | '
                         f'{metric_label(name)} | {text} | '
                         f'{change.verdict} |')
    return lines


def _calibration_lines(advice: Advice) -> List[str]:
    if advice.calibration is None:
        return []
    before, after, changes = advice.calibration
    lines = ['', '## Calibration (temperature scaling)', '',
             'Expected calibration error (Guo et al. 2017, 15 bins; points; '
             'per shot bin over the images of its classes), before and after '
             'the cross-fitted temperature. Accuracy is unchanged: dividing '
             'every logit by T keeps every argmax. A drop is help.', '',
             '| | before | after | change [95% interval] | verdict |',
             '|---|---|---|---|---|']
    for name, change in changes.items():
        b, a = before[name], after[name]
        lines.append(f'| {metric_label(name)} | '
                     f'{"-" if math.isnan(b) else f"{b:.2f}"} | '
                     f'{"-" if math.isnan(a) else f"{a:.2f}"} | '
                     f'{change.format()} | {change.verdict} |')
    return lines


def _recommendation(advice: Advice) -> str:
    metric = metric_label(advice.selection_metric)
    best = advice.recommended
    if best is None:
        return (f'**Keep the model as it is**: no candidate\'s {metric} '
                'gain has an interval above 0.')
    change = best.changes[advice.selection_metric]
    text = (f'**Recommended: {best.candidate.name}** '
            f'({_params_text(best)}): {metric} {change.format()}, the '
            'largest gain whose interval lies above 0.')
    return text


def advice_markdown(advice: Advice, files: Dict[str, str]) -> str:
    """``advice.md``: where the numbers come from, the table, the
    calibration, the recommendation and its ready config."""
    opts = advice.options
    inputs = advice.inputs
    lines = ['# Method advice', '',
             f'Scored images: {inputs.source}.', '',
             f'Cross-fitting: the images are split into {opts.num_parts} '
             f'parts stratified by class (seed {opts.seed}); each candidate '
             f'is tuned on {opts.num_parts - 1} parts and scored on the '
             'held-out part, and the scored parts are pooled, so no image is '
             'scored by a candidate tuned on it. The parameters to deploy '
             'are tuned once more on all images.', '',
             f'Changes are against the model as it is, on the same images, '
             f'in points, with paired bootstrap {100 * opts.confidence:g}% '
             f'intervals ({opts.num_resamples} resamples of the images '
             'within each class, seeded; percentile intervals). Verdict: '
             'helps (interval above 0), within noise (contains 0), hurts '
             f'(below 0); a metric on fewer than {opts.min_images} images '
             'gets no interval.', '']
    if advice.unscored_classes:
        lines += [f'Classes that cannot be scored (no image among the '
                  f'scored ones): {", ".join(advice.unscored_classes)}; '
                  'every class average is over the other classes.', '']
    if opts.target_prior is not None:
        lines += [f'Deployment prior ({opts.prior_source}): '
                  + ', '.join(f'{c} {100 * q:.1f}%' for c, q in
                              zip(inputs.classes, opts.target_prior))
                  + '. The candidates are tuned and picked by the top-1 '
                  'accuracy at this prior (sum of per-class recall weighted '
                  'by it).', '']
    for note in inputs.notes + advice.notes:
        lines.append(f'- {note}')
    lines += ['', _recommendation(advice), '']
    lines += _markdown_table(advice)
    lines += _calibration_lines(advice)
    for result in advice.results:
        warning = result.candidate.extra.get('warning')
        if warning and not result.candidate.skipped:
            lines += ['', f'Note on {result.candidate.name}: {warning}.']
    lines += ['', '## Files', '']
    if 'plot' in files:
        lines.append(f'- `{osp.basename(files["plot"])}`: per-class change '
                     'of the recommended (or, without one, the best) '
                     'candidate against training images')
    if 'config' in files:
        lines.append(f'- `{osp.basename(files["config"])}`: your config '
                     'plus the recommended change: `python tools/test.py '
                     f'{files["config"]} CHECKPOINT`')
    elif advice.recommended is not None:
        lines.append('- no ready config: '
                     + advice.recommended.candidate.config_note)
    return '\n'.join(lines) + '\n'


def _nested(options: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    from mmengine.config import Config
    delta = Config()
    if options:
        delta.merge_from_dict(dict(options))
    return delta.to_dict()


def _merge(base: Dict[str, Any], change: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def ready_config_text(config_path: str, change: Dict[str, Any],
                      header: List[str],
                      cfg_options: Optional[Dict[str, Any]] = None) -> str:
    """A config that inherits ``config_path`` (absolute) and applies the
    ``--cfg-options`` the advisor was run with, then ``change``."""
    body = _merge(_nested(cfg_options), change)
    lines = [f'# {h}' for h in header]
    lines.append(f'_base_ = [{osp.abspath(config_path)!r}]')
    for key, value in body.items():
        lines.append(f'{key} = {pformat(value, width=76, sort_dicts=False)}')
    return '\n'.join(lines) + '\n'


def _json_change(change: Change) -> Dict[str, Any]:
    def num(v):
        return None if v is None or (isinstance(v, float) and
                                     math.isnan(v)) else v
    return dict(delta=num(change.delta), low=num(change.low),
                high=num(change.high), num_images=change.num_images,
                verdict=change.verdict, reason=change.reason)


def _json_params(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [float(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value)
    return value


def write_advice(advice: Advice, out_dir: str,
                 config_path: Optional[str] = None,
                 cfg_options: Optional[Dict[str, Any]] = None
                 ) -> Dict[str, str]:
    """Write ``advice.md``, ``advice.json``, the plot and (for a
    recommended candidate with a config change and a config) the ready
    config into ``out_dir``; returns their paths by kind."""
    from mmlt.visualization.change_plots import plot_change_vs_count
    os.makedirs(out_dir, exist_ok=True)
    files: Dict[str, str] = {}
    shown = advice.recommended
    if shown is None:
        tried = [r for r in advice.results if r.per_class_change is not None
                 and not r.candidate.calibration_only]
        if tried:
            shown = max(tried, key=lambda r: r.changes[
                advice.selection_metric].delta)
    if shown is not None:
        status = 'recommended' if shown is advice.recommended else \
            'best, not recommended'
        files['plot'] = plot_change_vs_count(
            advice.inputs.class_counts, shown.per_class_change,
            osp.join(out_dir, ADVICE_FILES['plot']), advice.inputs.classes,
            advice.options.many_shot_thr, advice.options.few_shot_thr,
            title=f'{shown.candidate.name} ({status}): per-class change')
    best = advice.recommended
    if best is not None and best.config_change is not None and config_path:
        change = best.changes[advice.selection_metric]
        header = [
            f'{osp.basename(config_path)} with {best.candidate.name} '
            f'({_params_text(best)}), written by '
            'tools/analysis_tools/advise.py.',
            f'Predicted: {metric_label(advice.selection_metric)} '
            f'{change.format()} points against the model as it is,',
            f'on {advice.inputs.source}.',
            'Test it: python tools/test.py THIS_FILE CHECKPOINT']
        path = osp.join(out_dir, ADVICE_FILES['config'])
        with open(path, 'w') as f:
            f.write(ready_config_text(config_path, best.config_change,
                                      header, cfg_options))
        files['config'] = path
    md_path = osp.join(out_dir, ADVICE_FILES['markdown'])
    with open(md_path, 'w') as f:
        f.write(advice_markdown(advice, files))
    files['markdown'] = md_path
    data = dict(
        source=advice.inputs.source,
        selection_metric=advice.selection_metric,
        recommended=None if best is None else best.key,
        unscored_classes=advice.unscored_classes,
        options=dict(num_parts=advice.options.num_parts,
                     seed=advice.options.seed,
                     num_resamples=advice.options.num_resamples,
                     confidence=advice.options.confidence,
                     min_images=advice.options.min_images,
                     lift_group=advice.options.lift_group,
                     target_prior=_json_params(advice.options.target_prior),
                     prior_source=advice.options.prior_source),
        candidates=[dict(
            key=r.key, name=r.candidate.name, how=r.candidate.how,
            skipped=r.candidate.skipped or None,
            params=_json_params(r.params),
            part_params=[_json_params(p) for p in r.part_params],
            config_change=r.config_change,
            changes={k: _json_change(v) for k, v in r.changes.items()})
            for r in advice.results])
    if advice.calibration is not None:
        before, after, changes = advice.calibration
        data['calibration'] = dict(
            before=before, after=after,
            changes={k: _json_change(v) for k, v in changes.items()})
    json_path = osp.join(out_dir, ADVICE_FILES['json'])
    with open(json_path, 'w') as f:
        json.dump(data, f, indent=1, default=_json_params)
    files['json'] = json_path
    return files
