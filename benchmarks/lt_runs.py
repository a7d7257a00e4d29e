"""Runs of ``benchmarks/lt_benchmark.py``: the subprocesses that train and
test one row (:class:`benchmarks.lt_rows.ConfigSpec`) with one seed, where
its run is kept (work dir, records) and whether a kept run can be reused."""
import argparse
import json
import math
import os
import os.path as osp
import shlex
import shutil
import subprocess
import time
from typing import Dict, List, Optional, Sequence, Tuple

from benchmarks.common import ROOT, numerics
from benchmarks.lt_archive import archive_run, finished_dir
from benchmarks.lt_logs import (RESULT_FILE, RunResult, final_checkpoint,
                                find_scalars, pick_metrics, read_json_lines,
                                run_stamp_of, seconds_per_epoch)
from benchmarks.lt_rows import (ConfigSpec, fill_placeholders,
                                row_dependencies, slugify)


# --------------------------------------------------------------- commands
def schedule_overrides(epochs: int, seed: int,
                       fixed_epochs: bool = True) -> List[str]:
    """``--cfg-options`` for one run: the seed and one checkpoint kept, the
    last (saved every epoch, the one before replaced, so that a run stopped
    early by an EarlyStoppingHook leaves its final weights too); with
    ``fixed_epochs`` (the smoke protocol) also E epochs and one validation
    at the end, else the config's own schedule and validation interval (E
    is then the config's max_epochs)."""
    opts = [f'randomness.seed={seed}']
    if fixed_epochs:
        opts += [f'train_cfg.max_epochs={epochs}',
                 f'train_cfg.val_interval={epochs}']
    return opts + ['default_hooks.checkpoint.interval=1',
                   'default_hooks.checkpoint.max_keep_ckpts=1',
                   'default_hooks.checkpoint.save_best=None']


def config_epochs(config: str) -> int:
    """``train_cfg.max_epochs`` of a config file; 0 for a config that is
    never trained (a test-only ensemble has no ``train_cfg``)."""
    from mmengine.config import Config
    train_cfg = Config.fromfile(osp.join(ROOT, config)).get('train_cfg')
    return int(train_cfg.max_epochs) if train_cfg else 0


def row_epochs(spec: ConfigSpec, args: argparse.Namespace) -> int:
    """Epochs a row trains for: ``--epochs`` under a fixed-schedule
    protocol, else its config's own or the row's
    ``--row-cfg ROW=train_cfg.max_epochs=E`` (e.g. a longer-schedule
    control of a baseline)."""
    if getattr(args, 'fixed_epochs', True):
        return args.epochs
    for item in spec.cfg:
        key, _, value = item.partition('=')
        if key.strip() == 'train_cfg.max_epochs':
            return int(value)
    return config_epochs(spec.path)


def train_command(python: str,
                  config: str,
                  work_dir: str,
                  epochs: int,
                  seed: int,
                  extra: Sequence[str] = (),
                  fixed_epochs: bool = True) -> List[str]:
    return [
        python,
        osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir,
        '--cfg-options'
    ] + schedule_overrides(epochs, seed, fixed_epochs) + list(extra)


class EarlierCheckpoints:
    """``{checkpoint[ROW]}``: the final checkpoint of the run of ROW, a
    row listed before this one, with the same seed (for a test-only row
    that needs two earlier rows, e.g. a routed ensemble); looked up only
    when a template names it."""

    def __init__(self, earlier: Sequence[ConfigSpec],
                 args: argparse.Namespace, seed: int) -> None:
        self.rows = {spec.name: spec for spec in earlier}
        self.args = args
        self.seed = seed

    def __getitem__(self, name: str) -> str:
        if name not in self.rows:
            raise ValueError(f'{{checkpoint[{name}]}}: no row named {name!r} '
                             f'before this one ({list(self.rows)})')
        return checkpoint_of(self.rows[name], self.seed, self.args,
                             self.rows)


def run_dir_of(args: argparse.Namespace, name: str, seed: int) -> str:
    """``<work-dir>/<key>/<row>/seed<N>``; the key is the section, or under
    a protocol with shared rows (``args.run_key``) the protocol's name."""
    key = getattr(args, 'run_key', None) or args.section
    return osp.abspath(
        osp.join(args.work_dir, key, slugify(name), f'seed{seed}'))


def record_dir_of(args: argparse.Namespace, name: str,
                  seed: int) -> Optional[str]:
    """``<records-dir>/<protocol>/<row>/seed<N>``, where a finished run of
    a protocol with shared rows is kept in the repository
    (:mod:`benchmarks.lt_archive`); None for a protocol without them (the
    smoke protocol) or without ``args.records_dir``."""
    key = getattr(args, 'run_key', None)
    records = getattr(args, 'records_dir', None)
    if not key or not records:
        return None
    return osp.abspath(osp.join(records, key, slugify(name), f'seed{seed}'))


def test_command(python: str, config: str, checkpoint: str, work_dir: str,
                 out: str) -> List[str]:
    return [
        python,
        osp.join(ROOT, 'tools', 'test.py'), config, checkpoint, '--work-dir',
        work_dir, '--out', out, '--out-item', 'metrics'
    ]


def run_measured(cmd: Sequence[str], log_path: str) -> Tuple[int, float,
                                                              float]:
    """Run ``cmd`` with output to ``log_path``.

    Returns:
        (exit code, wall seconds, peak RSS in MiB of that child alone, from
        ``os.wait4``).
    """
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(
            list(cmd), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return proc.returncode, wall, usage.ru_maxrss / 1024.0


# ------------------------------------------------------------------ runs
def load_result(path: str, spec: ConfigSpec,
                epochs: int) -> Optional[RunResult]:
    """A run saved by an earlier invocation, if it used the same config,
    epochs and extra --cfg-options items (``cfg``; a run saved before they
    were kept is taken on its config and epochs); else None."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        data = json.load(f)
    cfg = data.pop('cfg', None)
    if data.pop('epochs', None) != epochs or data.pop('config',
                                                      None) != spec.path:
        return None
    if cfg is not None and cfg != list(spec.cfg):
        return None
    data['name'] = spec.name
    return RunResult(**data)


def run_stamp(spec: ConfigSpec, seed: int,
              args: argparse.Namespace) -> Optional[str]:
    """The timestamp folder (``YYYYMMDD_HHMMSS``) of the kept training run
    of ``spec`` with ``seed``, which tells one run of a row from another;
    None for a row without a kept run or without training (test-only)."""
    folder = finished_dir(run_dir_of(args, spec.name, seed),
                          record_dir_of(args, spec.name, seed))
    return None if folder is None else run_stamp_of(folder)


def starts_from(spec: ConfigSpec, seed: int, args: argparse.Namespace,
                specs: Dict[str, ConfigSpec]) -> Dict[str, str]:
    """``{row: stamp}``: the runs of the rows ``spec`` reads (its stage 1,
    the checkpoints its templates name) that a run of it starts from now;
    kept in its result so that a later --reuse can tell whether they were
    trained again since."""
    stamps = {}
    for name in row_dependencies(spec):
        if name in specs:
            stamp = run_stamp(specs[name], seed, args)
            if stamp is not None:
                stamps[name] = stamp
    return stamps


def outdated_start(result: RunResult, spec: ConfigSpec, seed: int,
                   args: argparse.Namespace,
                   specs: Dict[str, ConfigSpec]) -> Optional[str]:
    """Why the kept ``result`` no longer starts from the kept runs of the
    rows it read (one of them was trained again since, e.g. on another
    machine for its checkpoint); None when it does. A result from before
    ``starts_from`` was kept names no runs and is taken as it is."""
    recorded = result.extra.get('starts_from') or {}
    now = starts_from(spec, seed, args, specs)
    changed = [f"{name}'s run {stamp} (its kept run is now {now[name]})"
               for name, stamp in recorded.items()
               if name in now and now[name] != stamp]
    if not changed:
        return None
    return 'started from ' + ', '.join(changed)


def find_kept(spec: ConfigSpec,
              seed: int,
              args: argparse.Namespace,
              specs: Optional[Dict[str, ConfigSpec]] = None
              ) -> Optional[RunResult]:
    """The kept run of ``spec`` with ``seed`` (same config and epochs): in
    the work dir, else in the records; None without one. A run found only in
    the work dir is recorded on the way (a run of an earlier invocation).
    With ``specs`` (the section's rows), a run that started from another
    row's run that has since been replaced is not kept (None, said)."""
    run_dir = run_dir_of(args, spec.name, seed)
    record = record_dir_of(args, spec.name, seed)
    folder = finished_dir(run_dir, record)
    if folder is None:
        return None
    result = load_result(osp.join(folder, RESULT_FILE), spec,
                         row_epochs(spec, args))
    if result is not None and specs:
        why = outdated_start(result, spec, seed, args, specs)
        if why is not None:
            print(f'[bench] {spec.name} seed {seed}: its kept run {why}; '
                  'it is out of date and not used', flush=True)
            return None
    if (result is not None and record and folder == run_dir
            and not osp.isfile(osp.join(record, RESULT_FILE))):
        archive_run(run_dir, record)
    return result


def checkpoint_of(spec: ConfigSpec, seed: int, args: argparse.Namespace,
                  specs: Dict[str, ConfigSpec]) -> str:
    """The final checkpoint of the run of ``spec`` with ``seed``, which a
    later row starts from or tests. Records keep no checkpoints: a run kept
    only as a record (the work dir of another machine) is trained again,
    and its record replaced by the new run.

    Raises:
        FileNotFoundError: If the run is neither in the work dir nor
            recorded (the row was not run), naming both places.
    """
    run_dir = run_dir_of(args, spec.name, seed)
    epochs = row_epochs(spec, args)
    # only a finished run's checkpoint: an interrupted run's folder holds
    # the checkpoint of the epoch it stopped at (and last_checkpoint names
    # it), which a later row must not start from
    if osp.isfile(osp.join(run_dir, RESULT_FILE)):
        try:
            return final_checkpoint(run_dir, epochs)
        except FileNotFoundError:
            pass
    record = record_dir_of(args, spec.name, seed)
    if finished_dir(run_dir, record) is None:
        raise FileNotFoundError(
            f'row {spec.name!r} seed {seed} has no final checkpoint in '
            f'{run_dir} and no record in {record}: run that row first')
    print(f'[bench] {spec.name} seed {seed}: only its record is kept (no '
          'checkpoint); training it again for the rows that start from it',
          flush=True)
    run_one(spec, seed, argparse.Namespace(**{**vars(args), 'reuse': False}),
            specs)
    return final_checkpoint(run_dir, epochs)


def run_one(spec: ConfigSpec, seed: int, args: argparse.Namespace,
            specs: Optional[Dict[str, ConfigSpec]] = None) -> RunResult:
    """Train and test one (config, seed) in a fresh work dir.

    A row with ``after`` starts from the final checkpoint of that (earlier)
    row's run with the same seed (``load_from``); ``prepare`` runs first
    (e.g. a tool that writes data the row's config reads); a ``test_only``
    row is not trained and tests the checkpoint it names.
    """
    run_dir = run_dir_of(args, spec.name, seed)
    saved = osp.join(run_dir, RESULT_FILE)
    epochs = row_epochs(spec, args)
    fixed = getattr(args, 'fixed_epochs', True)
    if args.reuse:
        earlier = find_kept(spec, seed, args, specs)
        if earlier is not None:
            return earlier
    if osp.isdir(run_dir):
        shutil.rmtree(run_dir)
    os.makedirs(run_dir)

    names = list(specs or {})
    earlier = names[:names.index(spec.name)] if spec.name in names else []
    context = dict(python=args.python, run_dir=run_dir, seed=str(seed),
                   checkpoint=EarlierCheckpoints(
                       [specs[n] for n in earlier], args, seed))
    extra = []
    if spec.after:
        stage1 = (specs or {})[spec.after]
        context.update(
            stage1_checkpoint=checkpoint_of(stage1, seed, args, specs or {}),
            stage1_config=stage1.path,
            stage1_dir=run_dir_of(args, stage1.name, seed))
        if not spec.test_only:
            extra.append(f'load_from={context["stage1_checkpoint"]}')
    row_cfg = [fill_placeholders(c, context, '--row-cfg') for c in spec.cfg]
    extra += row_cfg
    prepare_wall = 0.0
    if spec.prepare:
        cmd = shlex.split(
            fill_placeholders(spec.prepare, context, '--prepare'))
        rc, prepare_wall, _ = run_measured(cmd,
                                           osp.join(run_dir, 'prepare.log'))
        if rc != 0:
            raise RuntimeError(f'preparing {spec.name} seed {seed} failed '
                               f'(exit {rc}); see {run_dir}/prepare.log')

    if spec.test_only:
        checkpoint = fill_placeholders(spec.test_only, context,
                                       '--test-only')
        scalars, train_wall, rss, spe = [], 0.0, math.nan, math.nan
    else:
        rc, train_wall, rss = run_measured(
            train_command(args.python, spec.path, run_dir, epochs, seed,
                          extra, fixed), osp.join(run_dir, 'train.log'))
        if rc != 0:
            raise RuntimeError(f'training {spec.name} seed {seed} failed '
                               f'(exit {rc}); see {run_dir}/train.log')
        scalars = read_json_lines(find_scalars(run_dir))
        spe = seconds_per_epoch(scalars)
        checkpoint = final_checkpoint(run_dir, epochs)
    metrics_path = osp.join(run_dir, 'test_metrics.json')
    test_cmd = test_command(args.python, spec.path, checkpoint, run_dir,
                            metrics_path) + list(spec.test_args)
    # the row's own options hold for its test too (e.g. a data_root)
    if row_cfg:
        test_cmd += ['--cfg-options'] + row_cfg
    rc, test_wall, _ = run_measured(test_cmd, osp.join(run_dir, 'test.log'))
    if rc != 0:
        raise RuntimeError(f'testing {spec.name} seed {seed} failed '
                           f'(exit {rc}); see {run_dir}/test.log')
    with open(metrics_path) as f:
        metrics = pick_metrics(json.load(f))
    val = [r for r in scalars if 'long_tail/balanced_accuracy' in r]
    result = RunResult(
        name=spec.name,
        seed=seed,
        metrics=metrics,
        sec_per_epoch=spe,
        peak_rss_mb=rss,
        wall_s=prepare_wall + train_wall + test_wall,
        extra=dict(
            prepare_wall_s=prepare_wall,
            train_wall_s=train_wall,
            test_wall_s=test_wall,
            # the last validation of training (the held-out split under the
            # converged protocol)
            val_top1=val[-1]['long_tail/top1'] if val else math.nan,
            val_balanced=(val[-1]['long_tail/balanced_accuracy']
                          if val else math.nan),
            # the runs of earlier rows this one started from
            starts_from=starts_from(spec, seed, args, specs or {}),
            # the CPU kernels and threads it ran with (a seed repeats bit
            # for bit only on the same)
            numerics=numerics(args.python)))
    with open(saved, 'w') as f:
        json.dump(
            dict(vars(result), epochs=epochs, config=spec.path,
                 cfg=list(spec.cfg)),
            f,
            indent=2)
    record = record_dir_of(args, spec.name, seed)
    if record:
        archive_run(run_dir, record)
    return result



def kept_runs(spec: ConfigSpec,
              seeds: Sequence[int],
              args: argparse.Namespace,
              specs: Optional[Dict[str, ConfigSpec]] = None
              ) -> List[RunResult]:
    """The kept runs of ``spec`` (same config and epochs, in the work dir
    or the records) among ``seeds``, in seed order; seeds without one, or
    whose run is out of date (see :func:`find_kept`), are left out."""
    out = []
    for seed in seeds:
        r = find_kept(spec, seed, args, specs)
        if r is not None:
            out.append(r)
    return out
