"""The converged protocol's kept runs as the evidence sections read them:
``{row: {seed: result.json}}`` from the work dir and the run records, their
curves, per-class results, dumped configs and figures per row.

Usage: ``read_results(<work-dir>/converged, <records-dir>/converged)``
reads every finished run (a run in both from the work dir, see
:mod:`benchmarks.lt_archive`) and refuses a run that started from a run of
an earlier row that has since been replaced. A reader: it imports the log
parsing, the records and the curves, never a section.
"""
import csv
import glob
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from benchmarks.lt_archive import dumped_config
from benchmarks.lt_curves import (FLAT_POINTS, epoch_curves, is_flat,
                                  val_change_over_last_fifth)
from benchmarks.lt_logs import (RESULT_FILE, find_scalars, read_json_lines,
                                run_stamp_of)
from benchmarks.noise import difference

# the shot bins of a per_class.csv, in order
SHOT_BINS = ('many', 'medium', 'few')

Results = Dict[str, Dict[int, dict]]


def read_results(run_root: str,
                 records_root: Optional[str] = None) -> Results:
    """``{row: {seed: result.json}}`` of every finished run (the run's
    folder, ``<run_root>/<row>/seed<N>``, under the key ``run_dir``), and of
    every run kept only as a record under ``records_root`` (the same layout,
    :mod:`benchmarks.lt_archive`); a run in both is read from ``run_root``.

    Raises:
        ValueError: For runs that started from a run since replaced
            (:func:`outdated_starts`), naming them.
    """
    out: Results = {}
    paths = [p for root in (records_root, run_root) if root
             for p in sorted(glob.glob(osp.join(root, '*', 'seed*',
                                                RESULT_FILE)))]
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        data['run_dir'] = osp.dirname(path)
        out.setdefault(osp.basename(osp.dirname(osp.dirname(path))),
                       {})[int(data['seed'])] = data
    stale = outdated_starts(out)
    if stale:
        raise ValueError(
            'runs started from a run that has since been replaced (render '
            'their sections with --reuse first, which runs them again): ' +
            '; '.join(stale))
    return out


def outdated_starts(results: Results) -> List[str]:
    """The runs in ``results`` whose ``starts_from`` (the runs of earlier
    rows they read, see :func:`benchmarks.lt_runs.starts_from`) names
    another run than the one ``results`` holds for that row and seed, one
    line each; a result without the field is taken as it is."""
    stale = []
    for row, seeds in sorted(results.items()):
        for seed, data in sorted(seeds.items()):
            started = (data.get('extra') or {}).get('starts_from') or {}
            for name, stamp in sorted(started.items()):
                kept = results.get(name, {}).get(seed)
                now = run_stamp_of(kept['run_dir']) if kept else None
                if now is not None and now != stamp:
                    stale.append(f"{row} seed {seed} started from {name}'s "
                                 f'run {stamp}, its kept run is {now}')
    return stale


def run_curves(results: Results, row: str) -> Dict[int, tuple]:
    """``{seed: (epochs, loss per epoch, validation per epoch)}`` of the
    kept runs of ``row`` (none: empty), read from their scalars once."""
    return {
        seed: (r['epochs'],
               *epoch_curves(read_json_lines(find_scalars(r['run_dir']))))
        for seed, r in sorted(results.get(row, {}).items())
    }


def last_fifth_cell(results: Results, row: str) -> str:
    """The protocol's convergence criterion on ``row``'s kept runs, as the
    pages print it: the change of the mean validation balanced accuracy
    over the last fifth of training, ``'ce +0.12 (flat)'`` or ``'**not
    flat**'``; n/a, said why, without curves or validations."""
    try:
        change = val_change_over_last_fifth(run_curves(results, row))
    except FileNotFoundError:
        return f'{row} n/a (no training curves kept)'
    if change is None:
        return f'{row} n/a (fewer than two validations in the last fifth)'
    return (f'{row} {change:+.2f} ('
            + ('flat' if is_flat(change) else '**not flat**') + ')')


def last_fifth_line(results: Results, rows: Sequence[str]) -> str:
    """:func:`last_fifth_cell` of each of ``rows`` in one sentence, after
    the criterion it applies."""
    return ('Validation balanced accuracy over the last fifth of training '
            f'(mean over seeds; flat: under {FLAT_POINTS} points): '
            + '; '.join(last_fifth_cell(results, r) for r in rows))


def metric_values(results: Results, row: str, key: str) -> List[float]:
    """``key`` of every kept run of ``row``, in seed order."""
    return [r['metrics'][key] for _, r in sorted(results[row].items())]


def change_on(results: Results, base: str, row: str,
              key: str) -> Tuple[float, float]:
    """``row``'s mean ``key`` minus ``base``'s, and their pooled std
    (:func:`benchmarks.noise.difference`)."""
    return difference(metric_values(results, base, key),
                      metric_values(results, row, key))


def require_seeds(results: Results, rows: Sequence[str], section: str,
                  seeds: int = 3) -> None:
    """Refuse to render a control section before its runs are there.

    Raises:
        FileNotFoundError: If any of ``rows`` has fewer than ``seeds``
            finished runs, naming those rows, what they have, and the
            benchmark ``section`` that trains them.
    """
    short = {r: len(results.get(r, {})) for r in rows
             if len(results.get(r, {})) < seeds}
    if short:
        raise FileNotFoundError(
            f'rows without {seeds} finished runs: '
            + ', '.join(f'{r} ({n})' for r, n in short.items())
            + f'; run `python -m benchmarks.lt_benchmark --section {section} '
            '...` (docs/benchmarks.md lists the command) first')


# ------------------------------------------------------- per-class results
def per_class_rows(run_dir: str) -> List[Dict[str, str]]:
    """The rows of the test's ``per_class.csv`` in ``run_dir``.

    Raises:
        FileNotFoundError: Without the file (the test saves it with
            ``save_per_class=True``).
    """
    path = osp.join(run_dir, 'per_class.csv')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no per-class results (the test '
                                'writes them with save_per_class=True)')
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class ClassRecall:
    """One class's test recall over a row's seeds (percent), with what the
    ``per_class.csv`` says of the class."""
    index: int
    name: str
    shot: str
    train_count: int
    recalls: Tuple[float, ...]


def class_recalls(results: Results, row: str) -> List[ClassRecall]:
    """Test recall of every class over ``row``'s seeds (in seed order), by
    class index, from each run's ``per_class.csv`` (:func:`per_class_rows`).

    Raises:
        FileNotFoundError: For a run without the file, naming it.
        ValueError: If the runs' classes differ, naming the run.
    """
    classes: Dict[int, ClassRecall] = {}
    for seed, run in sorted(results[row].items()):
        rows = per_class_rows(run['run_dir'])
        if classes and set(classes) != {int(r['class_index']) for r in rows}:
            raise ValueError(f'{row} seed {seed}: per_class.csv has other '
                             'classes than the row\'s other seeds')
        for r in rows:
            i = int(r['class_index'])
            old = classes.get(i)
            classes[i] = ClassRecall(
                i, r['class_name'], r['shot'], int(r['train_count']),
                (old.recalls if old else ()) + (float(r['recall']), ))
    return [classes[i] for i in sorted(classes)]


def smallest_class_f1(run_dir: str) -> float:
    """F1 (percent) of the class with the fewest training images, from the
    test's ``per_class.csv`` (:func:`per_class_rows`; ties: the lowest
    class index)."""
    smallest = min(per_class_rows(run_dir),
                   key=lambda r: (int(r['train_count']),
                                  int(r['class_index'])))
    return float(smallest['f1'])


def unrecognised_classes(run_dir: str) -> List[str]:
    """Names of the classes no test image of which was recognised (recall
    0), from the test's ``per_class.csv`` (:func:`per_class_rows`)."""
    return [r['class_name'] for r in per_class_rows(run_dir)
            if float(r['recall']) == 0]


def training_sampler(run_dir: str) -> str:
    """The training sampler of a kept run, from the config the runner
    dumped into ``run_dir`` (type, and strategy where it has one)."""
    sampler = dumped_config(run_dir).train_dataloader.sampler
    return sampler.type + (f" ({sampler['strategy']})"
                           if 'strategy' in sampler else '')


def prediction_shares(run_dir: str) -> Dict[str, float]:
    """Percent of the test predictions that name a class of each shot bin,
    from the test's ``per_class.csv``: a class is predicted
    recall × test images / precision times.

    Raises:
        ValueError: For a class none of whose test images was recognised
            (recall 0): how often it was predicted is then not in the file.
    """
    predicted = dict.fromkeys(SHOT_BINS, 0.0)
    for r in per_class_rows(run_dir):
        recall, precision = float(r['recall']), float(r['precision'])
        if recall == 0 or precision == 0:
            raise ValueError(
                f"{run_dir}/per_class.csv: class {r['class_name']!r} has no "
                'recognised test image, so how often it was predicted '
                'cannot be read from recall and precision')
        predicted[r['shot']] += recall * int(r['test_count']) / precision
    total = sum(predicted.values())
    return {b: 100 * n / total for b, n in predicted.items()}


def image_shares(run_dir: str) -> Dict[str, float]:
    """Percent of the test images whose class is in each shot bin."""
    counts = dict.fromkeys(SHOT_BINS, 0)
    for r in per_class_rows(run_dir):
        counts[r['shot']] += int(r['test_count'])
    total = sum(counts.values())
    return {b: 100 * n / total for b, n in counts.items()}
