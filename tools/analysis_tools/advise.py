"""Which fix for the tail classes (and a group) helps this model on this
data, with error bars::

    # a checkpoint, scored on the config's validation split
    python tools/analysis_tools/advise.py CONFIG CHECKPOINT [--split val]
    # the out-of-fold predictions of a tools/kfold_train.py run
    python tools/analysis_tools/advise.py CONFIG --kfold WORK_DIR
        [--lift-group G] [--target-prior FILE | --estimate-prior IMAGES_OR_CSV]
        [--parts 5] [--resamples 2000] [--min-images 10] [--seed 0]
        [--out-dir DIR] [--cfg-options key=value ...]

Tries post-hoc logit adjustment (τ tuned), τ-normalisation (τ tuned; needs
a checkpoint), a learned per-class logit bias, a per-group bias for
``--lift-group``, temperature scaling (calibration only) and, with a
deployment prior, the prior shift; each tuned and scored on disjoint images
(cross-fitting over class-stratified parts). Prints every metric's change
against the model as it is with a paired bootstrap 95% interval and a
verdict, and writes into DIR (default ``work_dirs/advice/<config name>``)
``advice.md``, ``advice.json``, ``per_class_change.png`` and, for the
recommended candidate, ``advised_config.py`` (the config plus the change,
for ``tools/test.py``). Exits with 2 for bad input. Logic:
:mod:`mmlt.analysis.advice`.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

import mmlt  # noqa: F401  (compat fixes and registration before configs)
from mmengine.config import Config, DictAction

RETRAIN_REFUSAL = (
    '--retrain (cRT and LWS from the checkpoint) is not available in the '
    'advisor yet. Train them with the two-stage blocks instead (configs/'
    'two_stage/README.md: crt_*, lws_*), test each with tools/test.py and '
    'compare the runs with tools/analysis_tools/compare_runs.py.')


def build_parser() -> argparse.ArgumentParser:
    from mmlt.analysis.advice.cross_fitting import DEFAULT_PARTS
    from mmlt.evaluation.paired_bootstrap import (DEFAULT_RESAMPLES,
                                                  MIN_IMAGES)
    parser = argparse.ArgumentParser(
        description='Try post-hoc fixes for the tail classes on held-out '
        'predictions, with paired bootstrap intervals')
    parser.add_argument('config', help='the config the model was trained '
                        'with')
    parser.add_argument('checkpoint', nargs='?',
                        help='its checkpoint (scored on --split)')
    parser.add_argument('--kfold', metavar='WORK_DIR',
                        help='a tools/kfold_train.py work dir: use its '
                        'out-of-fold predictions instead of a checkpoint')
    parser.add_argument('--split', choices=['val', 'test'], default='val',
                        help='split the checkpoint is scored on (default '
                        'val: tune on images that are not the test set)')
    parser.add_argument('--lift-group', type=int, metavar='G',
                        help='also try a per-class bias learned on group '
                        'G\'s images and added to them only')
    prior = parser.add_mutually_exclusive_group()
    prior.add_argument('--target-prior', metavar='FILE',
                       help='the deployment class mix: one weight per line '
                       '(class order) or "class,weight" lines')
    prior.add_argument('--estimate-prior', metavar='IMAGES_OR_CSV',
                       help='unlabelled deployment images (a folder, a CSV '
                       'with a filename column, or a CSV of p_<class> '
                       'probabilities): their class mix is estimated by EM '
                       '(Saerens et al. 2002)')
    parser.add_argument('--parts', type=int, default=DEFAULT_PARTS,
                        help='cross-fitting parts (tune on all but one)')
    parser.add_argument('--resamples', type=int, default=DEFAULT_RESAMPLES,
                        help='bootstrap resamples per interval')
    parser.add_argument('--min-images', type=int, default=MIN_IMAGES,
                        help='a metric on fewer images gets no interval')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the parts and the resamples')
    parser.add_argument('--retrain', action='store_true',
                        help='cRT and LWS from the checkpoint (not '
                        'available yet)')
    parser.add_argument('--out-dir', help='output folder')
    parser.add_argument('--batch-size', type=int,
                        help="default: the dataloader's")
    parser.add_argument('--device', help='default: cuda if available')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value '
                        '(also written into the ready config)')
    return parser


def _target_prior(args, inputs, model, cfg):
    """``(q, description)`` of the deployment prior, or ``(None, '')``."""
    import numpy as np

    from mmlt.analysis.advice.deployment_images import deployment_logits
    from mmlt.analysis.advice.prior_shift import em_prior, read_prior_file
    from scipy.special import softmax
    if args.target_prior:
        return read_prior_file(args.target_prior, inputs.classes), \
            f'known, from {args.target_prior}'
    if args.estimate_prior:
        head = inputs.head
        if head is not None and (head.logit_adjust_tau or head.logit_bias):
            inputs.notes.append(
                'the model\'s scores already include the head\'s logit '
                'adjustment or bias; EM and the prior shift assume scores '
                'under the training prior (estimate with them off)')
        logits = deployment_logits(args.estimate_prior, inputs.classes,
                                   model, cfg, args.batch_size or 32)
        counts = np.asarray(inputs.class_counts, np.float64)
        prior, steps = em_prior(softmax(logits, axis=1),
                                counts / counts.sum())
        return prior, (f'estimated by EM from {len(logits)} unlabelled '
                       f'images of {args.estimate_prior}, {steps} steps')
    return None, ''


def run(args: argparse.Namespace) -> dict:
    from mmlt.analysis.advice.advisor import AdviceOptions, advise
    from mmlt.analysis.advice.inputs import (inputs_from_checkpoint,
                                             inputs_from_kfold)
    from mmlt.analysis.advice.report import format_table, write_advice
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config {args.config} does not exist')
    if bool(args.checkpoint) == bool(args.kfold):
        raise ValueError('give either a CHECKPOINT or --kfold WORK_DIR '
                         '(one of them)')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = None
    if args.kfold:
        inputs = inputs_from_kfold(args.kfold, cfg)
    else:
        inputs, model = inputs_from_checkpoint(cfg, args.checkpoint,
                                               args.split, args.batch_size,
                                               args.device)
    prior, prior_source = _target_prior(args, inputs, model, cfg)
    options = AdviceOptions(
        num_parts=args.parts, seed=args.seed, num_resamples=args.resamples,
        min_images=args.min_images, lift_group=args.lift_group,
        target_prior=prior, prior_source=prior_source)
    advice = advise(inputs, options)
    out_dir = args.out_dir or osp.join(
        'work_dirs', 'advice', osp.splitext(osp.basename(args.config))[0])
    files = write_advice(advice, out_dir, args.config, args.cfg_options)
    print(f'{inputs.source}; cross-fitted over {args.parts} class-'
          'stratified parts (tuned on the others, scored on each), changes '
          'against the model as it is with paired bootstrap 95% intervals '
          f'({args.resamples} class-stratified resamples):')
    if advice.unscored_classes:
        print('classes that cannot be scored (no image): '
              + ', '.join(advice.unscored_classes))
    print(format_table(advice))
    best = advice.recommended
    if best is None:
        print('\nrecommendation: keep the model as it is (no gain with an '
              'interval above 0)')
    else:
        print(f'\nrecommendation: {best.candidate.name}')
        if 'config' in files:
            print(f'ready config: {files["config"]}\n  python tools/test.py '
                  f'{files["config"]} CHECKPOINT')
        else:
            print(f'no ready config: {best.candidate.config_note}')
    print(f'written: {", ".join(files[k] for k in sorted(files))}')
    return dict(advice=advice, files=files)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.retrain:
        print(f'error: {RETRAIN_REFUSAL}', file=sys.stderr)
        return 2
    try:
        run(args)
    except (ValueError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
