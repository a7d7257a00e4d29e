"""Does the method advisor predict what its fixes do on the test set? Issue
29's check of ``tools/analysis_tools/advise.py`` on the fine-tuning
protocol's cross-entropy checkpoints.

Usage, from the repository root, after ``python -m benchmarks.lt_benchmark
--section finetune-methods`` has trained the ``ce`` row::

    OMP_NUM_THREADS=1 python -m benchmarks.advisor_check [--seeds 0 1 2] \
        [--render-only] [--out docs/benchmarks.md]

Per seed whose checkpoint ``<work-dir>/seed<N>/epoch_<E>.pth`` exists, the
model scores the config's validation split (the advisor's input) and its
balanced test set once, through :func:`mmlt.analysis.advice.inputs.
inputs_from_checkpoint` (kept beside the checkpoint as
``advisor_check_{val,test}.npz``, so a second run reads them). Then
(:mod:`benchmarks.advisor_measure`): the advisor's candidates, cross-fitted
on validation as ``advise.py CONFIG CHECKPOINT`` runs them, with their
predicted changes and intervals and the advisor's pick; the same candidates
with the parameters the advisor deploys (tuned on all of validation)
applied to the test logits, measured against the model as it is; and the
test set re-sampled to the training profile, uniform and the reversed long
tail, its top-1 unadjusted, with the prior EM estimates from those images'
own predictions and with the true prior. Each seed's figures are kept in
``benchmarks/results/advisor-check/seed<N>.json``; the section is rendered
from those records and the ``finetune`` protocol's row records alone
(``--render-only`` skips the scoring, as
tests/test_benchmarks/test_page_records.py does to check the page). A seed
without a checkpoint keeps its record if it has one, and is named as not
available otherwise. Writes section ``advisor-check`` of ``--out``.

With ``--group-lift CASE [CASE ...]`` (``degraded``, ``rare``), after
``python -m benchmarks.lt_benchmark --section finetune-group-lift-<case>``
has trained the ``ce-<case>`` row, the same check runs ``advise.py
--lift-group 1`` on those checkpoints (the group-lift data's validation
and test images carry their group ids): each fix's predicted change of
group 1's and group 0's accuracy against the measured one, records in
``benchmarks/results/advisor-check/group-lift-<case>/``, section
``advisor-group-lift`` (:mod:`benchmarks.advisor_group_render`).
"""
import argparse
import json
import os
import os.path as osp
import shlex
import sys
from typing import Any, Dict, Optional, Sequence

import numpy as np

from benchmarks.advisor_group_render import render_group_lift
from benchmarks.advisor_render import render
from benchmarks.common import ROOT, machine_info
from benchmarks.lt_archive import DEFAULT_RECORDS_DIR
from benchmarks.lt_results import read_results
from benchmarks.page import DEFAULT_OUT, write_report

SECTION = 'advisor-check'
CONFIG = ('configs/baselines/'
          'efficientnet-lite0_ce_1xb64_fashion-mnist-lt1k-ir100-80x60.py')
DEFAULT_WORK = osp.join('work_dirs', 'benchmarks', 'finetune', 'ce')
RECORDS = osp.join(DEFAULT_RECORDS_DIR, SECTION)
ROW_RECORDS = osp.join(DEFAULT_RECORDS_DIR, 'finetune')
CACHE = 'advisor_check_{split}.npz'
# the group-lift check: the fine-tuning protocol's group-lift ce row
GROUP_SECTION = 'advisor-group-lift'
GROUP_CONFIG = ('configs/finetune/'
                'ce_efficientnet-lite0_1xb64_fashion-mnist-group-lift-80x60.py')
GROUP_CASES = ('degraded', 'rare')
LIFT_GROUP = 1


def group_work_dir(case: str) -> str:
    """Where ``lt_benchmark`` keeps the ``ce-<case>`` row's runs."""
    return osp.join('work_dirs', 'benchmarks', 'finetune', f'ce-{case}')


def group_records(case: str) -> str:
    return osp.join(RECORDS, f'group-lift-{case}')


def group_data_root(case: str) -> str:
    """The case's data, as the harness's rows read it."""
    return f'data/group_lift_{case}'


# ----------------------------------------------------------- the scoring
def load_config(num_workers: int = 0, case: Optional[str] = None):
    """The protocol's ``ce`` config (with ``case``: the group-lift ``ce``
    config on that case's data), its loaders in the main process."""
    import mmlt  # noqa: F401  (registration before the config)
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, CONFIG if case is None
                                   else GROUP_CONFIG))
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].num_workers = num_workers
        cfg[f'{split}_dataloader'].persistent_workers = False
        if case is not None:
            cfg[f'{split}_dataloader'].dataset.data_root = \
                group_data_root(case)
    return cfg


def _save_inputs(path: str, inputs, stamp: float) -> None:
    none = np.zeros(0)
    np.savez(path, logits=inputs.logits, labels=inputs.labels,
             class_counts=inputs.class_counts,
             classes=np.asarray(inputs.classes),
             feats=none if inputs.feats is None else inputs.feats,
             weight=none if inputs.weight is None else inputs.weight,
             groups=none if inputs.groups is None else inputs.groups,
             tau_norm_reason=np.asarray(inputs.tau_norm_reason),
             source=np.asarray(inputs.source),
             checkpoint_mtime=np.asarray(stamp))


def _load_inputs(path: str, head, stamp: float):
    """The kept inputs of ``path``; None when missing or of another
    checkpoint (its modification time)."""
    from mmlt.analysis.advice.inputs import AdviceInputs
    if not osp.isfile(path):
        return None
    data = np.load(path)
    if float(data['checkpoint_mtime']) != stamp:
        return None
    feats, weight = data['feats'], data['weight']
    groups = data['groups'] if 'groups' in data.files else np.zeros(0)
    return AdviceInputs(
        logits=data['logits'], labels=data['labels'],
        class_counts=data['class_counts'],
        classes=tuple(str(c) for c in data['classes']),
        source=str(data['source']),
        feats=feats if feats.size else None,
        weight=weight if weight.size else None,
        groups=groups.astype(np.int64) if groups.size else None,
        tau_norm_reason=str(data['tau_norm_reason']), head=head)


def score(cfg, checkpoint: str, split: str):
    """The advisor's inputs of ``split`` scored by ``checkpoint``, read
    from beside it when kept there (``CACHE``), else scored and kept."""
    from mmlt.analysis.advice.inputs import (head_settings,
                                             inputs_from_checkpoint)
    path = osp.join(osp.dirname(checkpoint), CACHE.format(split=split))
    stamp = osp.getmtime(checkpoint)
    inputs = _load_inputs(path, head_settings(cfg), stamp)
    if inputs is None:
        inputs, _ = inputs_from_checkpoint(cfg, checkpoint, split)
        _save_inputs(path, inputs, stamp)
    return inputs


def run_seed(seed: int, work_dir: str, resamples: int,
             case: Optional[str] = None) -> Optional[dict]:
    """Score seed ``seed``'s checkpoint and keep its record; None (and
    nothing written) without the checkpoint. With ``case``: the group-lift
    check (``--lift-group 1``, no shifted priors) of that case."""
    from benchmarks.advisor_measure import seed_record
    from benchmarks.lt_logs import run_stamp_of
    from mmlt.analysis.advice.advisor import AdviceOptions
    cfg = load_config(case=case)
    run_dir = osp.join(work_dir, f'seed{seed}')
    checkpoint = osp.join(run_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    if not osp.isfile(checkpoint):
        return None
    val, test = score(cfg, checkpoint, 'val'), score(cfg, checkpoint, 'test')
    options = AdviceOptions(num_resamples=resamples,
                            lift_group=None if case is None else LIFT_GROUP)
    record = seed_record(val, test, seed, options,
                         prior_shift=case is None)
    record.update(config=CONFIG if case is None else GROUP_CONFIG,
                  run_stamp=run_stamp_of(run_dir),
                  checkpoint=osp.relpath(checkpoint, ROOT)
                  if osp.isabs(checkpoint) else checkpoint,
                  machine=machine_info(sys.executable))
    if case is not None:
        record.update(case=case, data_root=group_data_root(case))
    records = RECORDS if case is None else group_records(case)
    os.makedirs(records, exist_ok=True)
    with open(record_path(seed, records), 'w') as f:
        json.dump(record, f, indent=1)
    return record


# ------------------------------------------------------------ the records
def record_path(seed: int, records: str = RECORDS) -> str:
    return osp.join(records, f'seed{seed}.json')


def read_records(seeds: Sequence[int], records: str = RECORDS
                 ) -> Dict[int, Optional[Dict[str, Any]]]:
    """``{seed: record or None}`` (None: no record kept)."""
    out: Dict[int, Optional[Dict[str, Any]]] = {}
    for seed in seeds:
        path = record_path(seed, records)
        out[seed] = None
        if osp.isfile(path):
            with open(path) as f:
                out[seed] = json.load(f)
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmlt.evaluation.paired_bootstrap import DEFAULT_RESAMPLES
    parser = argparse.ArgumentParser(
        description='The method advisor on the fine-tuning protocol\'s ce '
        'checkpoints: predicted on validation against measured on test '
        '(section advisor-check of docs/benchmarks.md)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', default=None,
                        help='the ce row\'s runs (seed<N>/ with the '
                        f'checkpoints; default {DEFAULT_WORK}, with '
                        '--group-lift the harness\'s ce-<case> row: '
                        f'{group_work_dir("<case>")})')
    parser.add_argument('--group-lift', nargs='+', choices=GROUP_CASES,
                        metavar='CASE',
                        help='the group-lift check instead (advise.py '
                        f'--lift-group {LIFT_GROUP} on the fine-tuned ce '
                        f'of each case: {", ".join(GROUP_CASES)}); writes '
                        f'section {GROUP_SECTION}')
    parser.add_argument('--resamples', type=int, default=DEFAULT_RESAMPLES,
                        help='bootstrap resamples per interval')
    parser.add_argument('--render-only', action='store_true',
                        help='write the section from the kept records alone '
                        '(no checkpoint, no scoring)')
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.group_lift and args.work_dir and len(args.group_lift) > 1:
        parser.error(f'--work-dir {args.work_dir} with --group-lift '
                     f'{" ".join(args.group_lift)}: one work dir cannot hold '
                     'the runs of several cases; check one case at a time')
    return args


def work_dirs(args: argparse.Namespace) -> Dict[Optional[str], str]:
    """``{case or None: the ce row's work dir}`` of the check ``args``
    asks for."""
    if not args.group_lift:
        return {None: args.work_dir or DEFAULT_WORK}
    return {case: args.work_dir or group_work_dir(case)
            for case in args.group_lift}


def command_line(argv: Sequence[str]) -> str:
    """The command the section names: ``argv`` without ``--render-only``
    (the records it renders come from a scoring run)."""
    return ' '.join(['python -m benchmarks.advisor_check'] + [
        shlex.quote(a) for a in argv if a != '--render-only'])


def render_records(argv: Sequence[str]) -> str:
    """The section as the command ``argv`` (its arguments) renders it from
    the kept records alone: the page's test calls this."""
    args = parse_args(argv)
    rows = read_results('', ROW_RECORDS)
    if args.group_lift:
        return render_group_lift(
            {case: read_records(args.seeds, group_records(case))
             for case in args.group_lift}, rows, command_line(argv))
    return render(read_records(args.seeds), rows, command_line(argv))


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    os.chdir(ROOT)
    if not args.render_only:
        import torch
        torch.set_num_threads(1)
        for case, work_dir in work_dirs(args).items():
            what = '' if case is None else f'{case}: '
            for seed in args.seeds:
                record = run_seed(seed, work_dir, args.resamples, case)
                if record is None:
                    print(f'{what}seed {seed}: no checkpoint under '
                          f'{work_dir}, not scored', flush=True)
                else:
                    print(f'{what}seed {seed}: scored, pick '
                          f'{record["recommended"]}', flush=True)
    body = render_records(argv)
    print(body)
    section = GROUP_SECTION if args.group_lift else SECTION
    write_report(args.out, section, body)
    print(f'written: section {section} of {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
